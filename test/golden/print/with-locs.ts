/** @file Golden fixture WITH source locations: keep this file's line numbers stable (the golden names them). */
import { fn, tensor, type Tensor } from "../../../src/index.js";

const scaled = fn(function scaled(x: Tensor) {
  const y = x.mul(2);
  const z = y.exp().add(1);
  return z.log().sum();
}, { backend: "interp" });
scaled.trace(tensor([1, 2, 3]));

export default { graph: () => scaled.graph("traced"), locs: true };
