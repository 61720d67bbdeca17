/** @file `npx tsx examples/ir-tour.ts`: trace a small MLP with a softmax cross-entropy loss, print its IR, run it through the interpreter, print the loss. */
import { fn, logSoftmax, oneHot, randomNormal, randomUniform, tensor, variable, zeros, type Tensor } from "../src/index.js";

// A 2-layer MLP on a batch of 8 four-feature examples with 3 classes. Seeds make every run identical.
const w1 = variable(randomNormal([4, 16], { seed: 1, stddev: 0.5 }), { name: "w1" });
const b1 = variable(zeros([16]), { name: "b1" });
const w2 = variable(randomNormal([16, 3], { seed: 2, stddev: 0.5 }), { name: "w2" });
const b2 = variable(zeros([3]), { name: "b2" });

/** Mean softmax cross-entropy of the MLP's logits against integer labels. */
function loss(x: Tensor, labels: Tensor): Tensor {
  const logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
  return logSoftmax(logits).mul(oneHot(labels, 3)).sum(-1).neg().mean();
}

const x = randomUniform([8, 4], { seed: 3, minval: -1, maxval: 1 });
const labels = tensor([0, 1, 2, 0, 1, 2, 0, 1], [8], "i32");

// fn() traces `loss` once for this input signature; the "interp" backend runs the reference interpreter.
const compiled = fn(loss, { backend: "interp" });
const value = compiled(x, labels);

console.log("traced IR:\n");
console.log(compiled.ir("traced"));
console.log(`\nloss (interp backend): ${value.item().toFixed(6)}`);
// eager mode runs the same code op by op: it must agree
console.log(`loss (eager):          ${loss(x, labels).item().toFixed(6)}`);
console.log(`chance level, ln 3:    ${Math.log(3).toFixed(6)}`);
