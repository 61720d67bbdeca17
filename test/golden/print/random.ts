/** @file Golden fixture: seeded counter-based random ops inside a step (a constant key, and a key made from state). */
import { fn, randomNormal, randomUniform, tensor, variable, type Tensor } from "../../../src/index.js";

const key = variable(tensor([7, 0], [2], "i32"), { name: "random/key", trainable: false });

const dropout = fn(function dropout(x: Tensor) {
  const keep = randomUniform(x.shape, { seed: key }).less(0.75);
  key.assign(key.add(tensor([1, 0], [2], "i32")));
  return keep.where(x.div(0.75), 0).add(randomNormal([3], { seed: 42, stddev: 0.1 }));
}, { backend: "interp" });
dropout.trace(tensor([[1, 2, 3], [4, 5, 6]]));

export default { graph: () => dropout.graph("traced"), locs: false };
