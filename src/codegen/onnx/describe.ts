/** @file A readable listing of a lowered ONNX graph (what `step.source()` shows on the onnx backend). */
import type { ModelMsg } from "./proto.js";

const attrText = (a: NonNullable<ModelMsg["graph"]["node"][number]["attribute"]>[number]): string =>
  `${a.name}=${a.ints ? `[${a.ints.join(",")}]` : a.s ? JSON.stringify(new TextDecoder().decode(a.s)) : a.f !== undefined ? a.f : a.i}`;

export function describeModel(m: ModelMsg): string {
  const g = m.graph;
  const io = (xs: typeof g.input) => xs.map((v) => `${v.name}: ${v.type?.tensorType?.elemType}[${(v.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimValue ?? d.dimParam).join(",")}]`).join(", ");
  const lines = [
    `// ONNX model: ir_version ${m.irVersion}, opset ${m.opsetImport.map((o) => o.version).join(",")}, ${g.node.length} nodes, ${g.initializer?.length ?? 0} initializers`,
    `graph ${g.name} (${io(g.input)}) -> (${io(g.output)}) {`,
    ...g.node.map((n) => `  ${n.output.join(", ")} = ${n.opType}(${n.input.join(", ")})${n.attribute?.length ? ` {${n.attribute.map(attrText).join(", ")}}` : ""}${n.docString ? `  // ${n.docString.split("//").pop()!.trim()}` : ""}`),
    "}",
  ];
  return lines.join("\n");
}
