/** @file The reference MLP training step (784-256-256-10, softmax cross-entropy, Adam written in the DSL), shared by tests and the bench script. */
import { fn, gradients, logSoftmax, matmul, mean, oneHot, randomNormal, relu, sum, tensor, variable, zeros, type Tensor, type Variable } from "../../src/index.js";

export interface Mlp {
  readonly params: Variable[];
  readonly slots: Variable[];
  readonly t: Variable;
  readonly step: (x: Tensor, y: Tensor) => Tensor;
}

/** Parameters from fixed seeds; `step` is the plain DSL function (wrap it with fn). */
export function makeMlp(sizes = [784, 256, 256, 10], seed = 1): Mlp {
  const params: Variable[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const scale = Math.sqrt(2 / sizes[l]!);
    params.push(variable(randomNormal([sizes[l]!, sizes[l + 1]!], { seed: seed + l }).mul(scale), { name: `w${l}` }));
    params.push(variable(zeros([sizes[l + 1]!]), { name: `b${l}` }));
  }
  const slots = params.flatMap((p) => [variable(zeros(p.shape), { name: `${p.name}_m`, trainable: false }), variable(zeros(p.shape), { name: `${p.name}_v`, trainable: false })]);
  const t = variable(tensor(0), { name: "t", trainable: false });
  const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-7];
  const step = (x: Tensor, y: Tensor): Tensor => {
    let h: Tensor = x;
    for (let l = 0; l < params.length / 2; l++) {
      const z = matmul(h, params[2 * l]!).add(params[2 * l + 1]!);
      h = l + 1 < params.length / 2 ? relu(z) : z;
    }
    const classes = sizes[sizes.length - 1]!;
    const loss = mean(sum(oneHot(y, classes).mul(logSoftmax(h)), -1).neg());
    const grads = gradients(loss, params);
    const tn = t.add(1);
    t.assign(tn);
    // Adam with bias correction folded into the step size
    const alpha = tensor(lr).mul(tensor(1).sub(tensor(b2).pow(tn)).sqrt()).div(tensor(1).sub(tensor(b1).pow(tn)));
    params.forEach((p, i) => {
      const g = grads[i]!;
      const m = slots[2 * i]!;
      const v = slots[2 * i + 1]!;
      const mn = m.mul(b1).add(g.mul(1 - b1));
      const vn = v.mul(b2).add(g.square().mul(1 - b2));
      m.assign(mn);
      v.assign(vn);
      p.assign(p.sub(alpha.mul(mn).div(vn.sqrt().add(eps))));
    });
    return loss;
  };
  return { params, slots, t, step };
}

/** A deterministic batch: inputs in [0, 1), labels in [0, classes). */
export function mlpBatch(batch = 128, inDim = 784, classes = 10, seed = 7): { x: Tensor; y: Tensor } {
  const x = new Float32Array(batch * inDim);
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < x.length; i++) x[i] = r();
  const y = new Int32Array(batch);
  for (let i = 0; i < batch; i++) y[i] = Math.floor(r() * classes);
  return { x: tensor(x, [batch, inDim]), y: tensor(y, [batch], "i32") };
}

export { fn };
