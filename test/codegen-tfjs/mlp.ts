/** @file The reference MLP training step (relu MLP, softmax cross-entropy, Adam written in the DSL), shared by tests and the bench script. */
import { fn, gradients, logSumExp, oneHot, randomNormal, scalar, tensor, variable, zerosLike, type Tensor, type Variable } from "../../src/index.js";
import { rng } from "./helpers.js";

export const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7 };

export interface Mlp {
  readonly W: Variable[];
  readonly b: Variable[];
  readonly slots: Variable[];
  readonly t: Variable;
  /** Every variable, for comparing runs. */
  readonly all: Variable[];
}

/** He-initialized weights from a fixed seed (the same numbers on every backend), or the given ones. */
export function makeMlp(sizes: readonly number[], seed = 1, init?: { W: Float32Array[]; b: Float32Array[] }): Mlp {
  const W: Variable[] = [];
  const b: Variable[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [n, k] = [sizes[l]!, sizes[l + 1]!];
    W.push(variable(init ? tensor(init.W[l]!, [n, k]) : randomNormal([n, k], { seed: seed + l }).mul(Math.sqrt(2 / n)), { name: `W${l}` }));
    b.push(variable(tensor(init ? init.b[l]! : new Float32Array(k)), { name: `b${l}` }));
  }
  const params = [...W, ...b];
  const slots = params.flatMap((p) => [variable(zerosLike(p), { name: `${p.name}/m`, trainable: false }), variable(zerosLike(p), { name: `${p.name}/v`, trainable: false })]);
  const t = variable(scalar(0), { name: "t", trainable: false });
  return { W, b, slots, t, all: [...params, ...slots, t] };
}

/** One training step: forward, loss, gradients, Adam (as tf.train.adam writes it). */
export function mlpStep(m: Mlp, classes: number) {
  const { lr, beta1, beta2, eps } = ADAM;
  return (x: Tensor, y: Tensor): Tensor => {
    let h = x;
    m.W.forEach((w, l) => {
      h = h.matmul(w).add(m.b[l]!);
      if (l + 1 < m.W.length) h = h.relu();
    });
    // softmax cross-entropy from logits: mean(logsumexp(z) - z[y])
    const loss = logSumExp(h, -1).sub(h.mul(oneHot(y, classes)).sum(-1)).mean();
    const params = [...m.W, ...m.b];
    const grads = gradients(loss, params);
    m.t.assign(m.t.add(1));
    const c1 = scalar(1).div(scalar(1).sub(scalar(beta1).pow(m.t.value)));
    const c2 = scalar(1).div(scalar(1).sub(scalar(beta2).pow(m.t.value)));
    params.forEach((p, i) => {
      const g = grads[i]!;
      const [ms, vs] = [m.slots[2 * i]!, m.slots[2 * i + 1]!];
      const m2 = ms.mul(beta1).add(g.mul(1 - beta1));
      const v2 = vs.mul(beta2).add(g.square().mul(1 - beta2));
      ms.assign(m2);
      vs.assign(v2);
      p.assign(p.sub(m2.mul(c1).mul(lr).div(v2.mul(c2).sqrt().add(eps))));
    });
    return loss;
  };
}

/** A fixed batch: normal inputs, uniform labels. */
export function mlpBatch(batch: number, inputs: number, classes: number, seed = 3): { x: Tensor; y: Tensor } {
  const r = rng(seed);
  const x = new Float32Array(batch * inputs);
  for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const y = Int32Array.from({ length: batch }, () => Math.floor(r() * classes));
  return { x: tensor(x, [batch, inputs]), y: tensor(y, [batch], "i32") };
}

export const compileMlp = (m: Mlp, classes: number, opts: Record<string, unknown>) => fn(mlpStep(m, classes), { name: "mlp_step", ...opts });
