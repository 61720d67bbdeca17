/** @file The reference MLP training step written with graft (DSL + training library), shared by W1, W5 and W6.
 *
 * What a graft user writes: variables for the weights, `optimizers.Adam`, the loss from
 * `losses`, and one `fn` around `opt.minimize(...)`, so forward, gradients and the Adam update
 * (moments and the iteration counter as state) compile into ONE step. The weights and the batch
 * are the peers' (`MlpCase`): every contender starts from the same bits.
 */
import {
  fn,
  losses,
  matmul,
  mean,
  optimizers,
  tensor,
  variable,
  type CompiledFn,
  type FnOptions,
  type Tensor,
  type Variable,
} from "../src/index.js";
import { ADAM, interleaveParams, mlpSummary, mlpWeightShapes } from "./data.js";
import type { MlpCase } from "./peers/mlp.js";

export interface GraftMlp {
  /** W0, b0, W1, b1, ...: the canonical order of data.ts */
  readonly params: Variable[];
  readonly opt: optimizers.Adam;
  /** The step function given to `fn` (W5 compiles it again and again). */
  readonly stepFn: (x: Tensor, y: Tensor) => Tensor;
  /** Compiles `stepFn` with these options. */
  compile(opts: FnOptions): CompiledFn<[Tensor, Tensor], Tensor>;
  /** Back to the initial weights, zero moments, iteration 0 (eager assigns: backends re-upload). */
  reset(): void;
  /** `mlpSummary` of two steps of `step` from the initial state (the W1 cross-check protocol). */
  summary(step: (x: unknown, y: unknown) => Tensor, x: unknown, y: unknown): number[];
}

export function graftMlp(c: MlpCase): GraftMlp {
  const { shape, init } = c;
  const L = shape.sizes.length - 1;
  const wShapes = mlpWeightShapes(shape);
  // .slice(): the js backend updates state arrays in place; the peers' initial arrays must stay intact
  const W = init.W.map((w, l) => variable(tensor(w.slice(), wShapes[l]), { name: `W${l}` }));
  const b = init.b.map((v, l) => variable(tensor(v.slice(), [v.length]), { name: `b${l}` }));
  const params = interleaveParams(W, b);
  // the peers write tf.train.adam's formula: graft computes the same one (its default is Keras's)
  const opt = new optimizers.Adam({ learningRate: ADAM.lr, beta1: ADAM.beta1, beta2: ADAM.beta2, epsilon: ADAM.eps, formula: "tfjs" });

  const stepFn = (x: Tensor, y: Tensor): Tensor =>
    opt.minimize(() => {
      let h = x;
      for (let l = 0; l < L; l++) {
        h = matmul(h, W[l]!).add(b[l]!);
        if (l < L - 1) h = h.relu();
      }
      // softmax cross-entropy from logits with sparse labels, averaged over the batch
      return mean(losses.sparseCategoricalCrossentropy(y, h, true));
    }, params);

  const reset = (): void => {
    params.forEach((p, i) => {
      const src = i % 2 === 0 ? init.W[i >> 1]! : init.b[i >> 1]!;
      p.assign(tensor(src.slice(), p.shape));
    });
    // the optimizer's own state: iteration counter and every slot (the learning rate stays)
    opt.iterations.assign(tensor(0, [], "i32"));
    for (const [path, v] of opt.namedVariables()) {
      if (path.startsWith("slots/")) v.assign(tensor(new Float32Array(v.size), v.shape));
    }
  };

  return {
    params,
    opt,
    stepFn,
    compile: (opts) => fn(stepFn, { name: "mlp_step", ...opts }),
    reset,
    summary(step, x, y) {
      reset();
      const l1 = step(x, y).item();
      const l2 = step(x, y).item();
      return mlpSummary([l1, l2], params.map((p) => p.dataSync()));
    },
  };
}
