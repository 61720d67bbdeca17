/** @file graft contenders for W2 (sign-agreement optimizer update), W3 (elementwise chain + mean) and W4 (matmul). */
import { fn, matmul, mean, optimizers, relu, tanh, tensor, variable, where, type Tensor, type Variable } from "../src/index.js";
import type { Contender, Instance } from "./harness.js";
import { type SignUpdateData, signUpdateSummary } from "./data.js";
import type { ElementwiseCase } from "./peers/elementwise.js";
import type { MatmulCase } from "./peers/matmul.js";
import { tf } from "./peers/tfjs-env.js";
import { disposeInputs, input, prepare, releaseState, runHooks, type Target } from "./graft-targets.js";

// ---------------------------------------------------------------------------------------------
// W2: the seed's sign-agreement SGD as a graft Optimizer

/**
 * The seed's optimizer (NOTES.md, item 1): slots pv (previous value) and pg (previous gradient);
 *   m = var - lr*grad;  new = first step ? m : where(grad*pg >= 0, m, (pv + var)/2);  pv <- var; pg <- grad
 * "first step" is the optimizer's iteration counter tested in the graph, not a trace-time flag.
 */
export class SignAgreementSGD extends optimizers.Optimizer {
  constructor(lr: number) {
    super({ learningRate: lr }, "SignAgreementSGD");
  }
  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) this.addSlot(v, "pv");
    for (const v of vars) this.addSlot(v, "pg");
  }
  protected override applyDense(grad: Tensor, v: Variable, ctx: optimizers.UpdateContext): void {
    const pv = this.getSlot(v, "pv");
    const pg = this.getSlot(v, "pg");
    const m = v.sub(ctx.lr.mul(grad));
    const agree = grad.mul(pg).greaterEqual(0);
    const next = where(ctx.iterations.equal(0), m, where(agree, m, pv.add(v).mul(0.5)));
    pv.assign(v);
    pg.assign(grad);
    v.assign(next);
  }
}

export function signUpdateContender(t: Target, d: SignUpdateData): Contender {
  return {
    name: t.name,
    engine: t.engine,
    note: "fn(g => opt.applyGradients([[g, v]])) with a SignAgreementSGD Optimizer subclass: slots pv/pg, first step decided in-graph from the iteration counter (set to 1: the state is mid-training, as the peers assume)",
    async setup(): Promise<Instance> {
      await prepare(t);
      const v = variable(tensor(d.v.slice(), [d.v.length]), { name: "var" });
      const opt = new SignAgreementSGD(d.lr);
      opt.build([v]);
      const pv = opt.getSlot(v, "pv");
      const pg = opt.getSlot(v, "pg");
      const reset = () => {
        v.assign(tensor(d.v.slice(), v.shape));
        pv.assign(tensor(d.pv.slice(), v.shape));
        pg.assign(tensor(d.pg.slice(), v.shape));
        // the peers' state has a previous step behind it (pv, pg are set): not the first step
        opt.iterations.assign(tensor(1, [], "i32"));
      };
      reset();
      const step = fn((g: Tensor) => opt.applyGradients([[g, v]]), { name: "sign_update", ...t.opts });
      const grads = d.grads.map((g) => input(t, g, [g.length]));
      let k = 0;
      return {
        ...runHooks(t, () => step(grads[k++ & 1]!)),
        result: () => {
          reset();
          step(grads[0]!);
          return signUpdateSummary(v.dataSync(), pv.dataSync());
        },
        dispose: () => {
          disposeInputs(t, grads);
          releaseState(t, [v, ...opt.variables]);
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// W3: tanh(x*0.5+0.1)*x + relu(x-0.2)*0.3, mean over the last axis

export const elementwiseStep = (x: Tensor): Tensor => mean(tanh(x.mul(0.5).add(0.1)).mul(x).add(relu(x.sub(0.2)).mul(0.3)), -1);

export function elementwiseContender(t: Target, c: ElementwiseCase): Contender {
  return {
    name: t.name,
    engine: t.engine,
    note: "fn of the expression as written; graft fuses it into one kernel",
    async setup(): Promise<Instance> {
      await prepare(t);
      const f = fn(elementwiseStep, { name: "elementwise", ...t.opts, ...(t.tfjs ? { outputs: "tfjs" } : {}) });
      const x = input(t, c.x, [c.rows, c.cols]);
      // tfjs: the output stays a tf.Tensor (disposed, not downloaded), as the tfjs peer does
      const once = () => {
        const y = f(x);
        if (t.tfjs) (y as unknown as tf.Tensor).dispose();
      };
      return {
        ...runHooks(t, once),
        result: () => {
          const y = f(x);
          if (!t.tfjs) return [...y.dataSync()];
          const out = [...(y as unknown as tf.Tensor).dataSync()];
          (y as unknown as tf.Tensor).dispose();
          return out;
        },
        dispose: () => disposeInputs(t, [x]),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// W4: square matmul

export function matmulContender(t: Target, c: MatmulCase): Contender {
  return {
    name: t.name,
    engine: t.engine,
    threads: t.matmulThreads,
    note: t.tfjs ? "fn((a, b) => matmul(a, b)), outputs as tf tensors" : "fn((a, b) => matmul(a, b)); returns a fresh output array each call",
    async setup(): Promise<Instance> {
      await prepare(t);
      const f = fn((a: Tensor, b: Tensor) => matmul(a, b), { name: "matmul", ...t.opts, ...(t.tfjs ? { outputs: "tfjs" } : {}) });
      const a = input(t, c.a, [c.n, c.n]);
      const b = input(t, c.b, [c.n, c.n]);
      const once = () => {
        const y = f(a, b);
        if (t.tfjs) (y as unknown as tf.Tensor).dispose();
      };
      return {
        ...runHooks(t, once),
        result: () => {
          const y = f(a, b);
          if (!t.tfjs) return [...y.dataSync()];
          const out = [...(y as unknown as tf.Tensor).dataSync()];
          (y as unknown as tf.Tensor).dispose();
          return out;
        },
        dispose: () => disposeInputs(t, [a, b]),
      };
    },
  };
}
