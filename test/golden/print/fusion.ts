/** @file Golden fixture: a hand-built fused stage (a region op with a body graph), printed with its body. */
import { ir } from "../../../src/index.js";

function fused(): ir.Graph {
  const body = new ir.Builder("matmul_add_relu");
  const a = body.input({ dtype: "f32", shape: [2, 3] });
  const w = body.input({ dtype: "f32", shape: [3, 4] });
  const c = body.input({ dtype: "f32", shape: [4] });
  body.output(body.o.relu(body.o.add(body.o.matmul(a, w), c)));
  const b = new ir.Builder("layer");
  const x = b.input({ dtype: "f32", shape: [2, 3] });
  const wv = b.stateParam({ dtype: "f32", shape: [3, 4] }, "layer/w");
  const bv = b.stateParam({ dtype: "f32", shape: [4] }, "layer/b");
  const h = b.emit("fusion", [x, wv, bv], { kind: "matmul", name: "matmul_add_relu" }, "layer.ts:3", body.finish());
  b.output(b.emit("sum", [h], { axes: [0, 1] }));
  return b.finish();
}

export default { graph: fused, locs: true };
