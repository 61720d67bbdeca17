/** @file Golden fixture: dtypes at work (i32 indices, bool comparisons, where, casts, f64 promotion) and pytree outputs. */
import { cast, fn, tensor, where, type Tensor } from "../../../src/index.js";

const stats = fn(function stats(x: Tensor, idx: Tensor, wide: Tensor) {
  const positive = x.greater(0);
  const clipped = where(positive, x, 0);
  const count = positive.cast("i32").sum();
  const picked = x.gather(idx, 1).argmax(-1);
  return { clipped, count, picked, both: positive.logicalAnd(x.less(2)), widened: cast(x, "f64").add(wide) };
}, { backend: "interp" });
stats.trace(tensor([[1, -2, 3], [0, 5, -1]]), tensor([2, 0], [2], "i32"), tensor([1, 2, 3], [3], "f64"));

export default { graph: () => stats.graph("traced"), locs: false };
