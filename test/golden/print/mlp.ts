/** @file Golden fixture: a traced two-layer MLP forward pass with softmax cross-entropy (printed without locations). */
import { fn, logSoftmax, oneHot, randomNormal, tensor, variable, zeros, type Tensor } from "../../../src/index.js";

const w1 = variable(randomNormal([4, 8], { seed: 1 }), { name: "mlp/w1" });
const b1 = variable(zeros([8]), { name: "mlp/b1" });
const w2 = variable(randomNormal([8, 3], { seed: 2 }), { name: "mlp/w2" });

const mlpLoss = fn(function mlpLoss(x: Tensor, labels: Tensor) {
  const logits = x.matmul(w1).add(b1).relu().matmul(w2);
  return logSoftmax(logits).mul(oneHot(labels, 3)).sum(-1).neg().mean();
}, { backend: "interp" });
mlpLoss.trace(zeros([2, 4]), tensor([0, 2], [2], "i32"));

export default { graph: () => mlpLoss.graph("traced"), locs: false };
