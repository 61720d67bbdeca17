/** @file Golden fixture: a step that updates variables (state params, a frozen counter, assigns, read-after-assign). */
import { fn, tensor, variable, zeros, type Tensor } from "../../../src/index.js";

const w = variable(zeros([3]), { name: "state/w" });
const steps = variable(tensor(0, [], "i32"), { name: "state/steps", trainable: false });

const sgd = fn(function sgd(grad: Tensor, lr: number) {
  w.assign(w.sub(grad.mul(lr)));
  steps.assign(steps.add(1));
  return w.square().sum();
}, { backend: "interp" });
sgd.trace(zeros([3]), 0.1);

export default { graph: () => sgd.graph("traced"), locs: false };
