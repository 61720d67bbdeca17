/** @file Golden fixture: movement ops and their tfjs-style arguments (negative axes, -1 sizes, paddings). */
import { concat, fn, stack, zeros, type Tensor } from "../../../src/index.js";

const shuffle = fn(function shuffle(x: Tensor) {
  const t = x.reshape([2, -1, 4]).transpose([2, 0, 1]);
  const s = t.slice([1, 0, 0], [-1, 1, -1]).squeeze(-2);
  const p = s.pad([[0, 1], [2, 0]]);
  return concat([p, p.expandDims(0).broadcastTo([2, 4, 5]).sum(0)], -1).add(stack([p.max(), p.min()]).sum());
}, { backend: "interp" });
shuffle.trace(zeros([2, 3, 4]));

export default { graph: () => shuffle.graph("traced"), locs: false };
