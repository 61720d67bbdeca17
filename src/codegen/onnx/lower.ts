/** @file Lowers a graft graph (the optimized stage) to one ONNX ModelProto, opset 17, through each op's `onnx` rule.
 *
 * Names (stable, documented in the README): graph inputs `input_<i>`, state inputs
 * `state.<variable name>`, new state values (one per assign) `state.<name>.next`, step outputs
 * `output_<i>`, host-fed random bits `random.<k>`. Inner values are `v<n>` after the `%n` of
 * `print(graph)`; every ONNX node's doc_string is the IR line it came from, with the user's
 * file:line, so an ORT error that names a node leads back to the code.
 */
import { GraftError, Namer, opDef, printNode, sizeOf, typeStr, type DType, type Graph, type Node, type OnnxAttr, type OnnxDType, type OnnxEmitter, type Value } from "../../ir/index.js";
import { ATTR_TYPE, DATA_TYPE } from "./schema.js";
import type { AttrMsg, GraphMsg, ModelMsg, NodeMsg, TensorMsg, ValueInfoMsg } from "./proto.js";

export const OPSET = 17;
/** IR version 8 is what opset 17 ships with (onnx 1.12's checker accepts up to 8). */
export const IR_VERSION = 8;

const ELEM: Readonly<Record<OnnxDType, number>> = { f32: DATA_TYPE.FLOAT, f64: DATA_TYPE.DOUBLE, i32: DATA_TYPE.INT32, bool: DATA_TYPE.BOOL, i64: DATA_TYPE.INT64 };
export const elemTypeOf = (d: DType): number => ELEM[d];

/** A random op whose bits the host computes: its graph input, the IR node and the key value it reads. */
export interface HostInput {
  readonly name: string;
  readonly node: Node;
}

export interface LoweredOnnx {
  readonly model: ModelMsg;
  readonly inputs: readonly string[];
  readonly stateIn: readonly string[];
  /** One per assign, in graph.assigns order, with the state index it updates. */
  readonly stateOut: readonly { readonly name: string; readonly state: number }[];
  readonly outputs: readonly string[];
  readonly hostInputs: readonly HostInput[];
}

/** Little-endian bytes of `values` as an ONNX element type. */
export function rawBytes(dtype: OnnxDType, values: ArrayLike<number>, n: number): Uint8Array {
  const splat = values.length === 1 && n !== 1;
  const at = (i: number) => values[splat ? 0 : i]!;
  const buf = new ArrayBuffer(n * (dtype === "f64" || dtype === "i64" ? 8 : dtype === "bool" ? 1 : 4));
  const dv = new DataView(buf);
  for (let i = 0; i < n; i++) {
    if (dtype === "f32") dv.setFloat32(4 * i, at(i), true);
    else if (dtype === "f64") dv.setFloat64(8 * i, at(i), true);
    else if (dtype === "i32") dv.setInt32(4 * i, at(i), true);
    else if (dtype === "i64") dv.setBigInt64(8 * i, BigInt(at(i)), true);
    else dv.setUint8(i, at(i) ? 1 : 0);
  }
  return new Uint8Array(buf);
}

const attrMsg = (name: string, a: OnnxAttr): AttrMsg => {
  if ("i" in a) return { name, type: ATTR_TYPE.INT, i: a.i };
  if ("ints" in a) return { name, type: ATTR_TYPE.INTS, ints: [...a.ints] };
  if ("f" in a) return { name, type: ATTR_TYPE.FLOAT, f: a.f };
  return { name, type: ATTR_TYPE.STRING, s: new TextEncoder().encode(a.s) };
};

export const valueInfo = (name: string, dtype: DType, shape: readonly number[], docString?: string): ValueInfoMsg => ({
  name,
  type: { tensorType: { elemType: elemTypeOf(dtype), shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  ...(docString ? { docString } : {}),
});

/** Where a node came from, for errors: the op, its types and the user's line. */
const describe = (n: Node): string => `${n.op} (${n.inputs.map((v) => typeStr(v.type)).join(", ")} -> ${n.outputs.map((v) => typeStr(v.type)).join(", ")})`;

export interface LowerOptions {
  readonly name?: string;
  readonly docString?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export function lowerGraph(g: Graph, opts: LowerOptions = {}): LoweredOnnx {
  const unsupported = g.nodes.filter((n) => "none" in opDef(n.op).onnx);
  if (unsupported.length) {
    const lines = unsupported.map((n) => `  ${describe(n)}: ${(opDef(n.op).onnx as { none: string }).none}${n.loc ? ` (at ${n.loc})` : ""}`);
    throw new GraftError(`onnx: ${unsupported.length} op(s) have no ONNX form:\n${lines.join("\n")}`, "onnx", unsupported[0]!.loc);
  }
  const namer = new Namer(g);
  const names = new Map<Value, string>();
  const nodes: NodeMsg[] = [];
  const inits: TensorMsg[] = [];
  const hostInputs: HostInput[] = [];
  const inputs = g.inputs.map((v, i) => (names.set(v, `input_${i}`), `input_${i}`));
  const stateIn = g.state.map((s) => (names.set(s.value, `state.${s.name}`), `state.${s.name}`));
  let current: { node: Node; tag: string; k: number; doc: string } | undefined;
  let constCount = 0;
  const constant = (dtype: OnnxDType, shape: readonly number[], values: ArrayLike<number>): string => {
    const name = `c${constCount++}`;
    inits.push({ name, dims: [...shape], dataType: ELEM[dtype], rawData: rawBytes(dtype, values, sizeOf(shape)) });
    return name;
  };
  const e: OnnxEmitter = {
    node(op, ins, attrs) {
      const c = current!;
      const out = `${c.tag}.${c.k++}`;
      const attribute = Object.entries(attrs ?? {}).map(([k, a]) => attrMsg(k, a));
      nodes.push({ input: [...ins], output: [out], name: out, opType: op, ...(attribute.length ? { attribute } : {}), docString: c.doc });
      return out;
    },
    constant,
    ints: (values) => constant("i64", [values.length], values),
    hostInput() {
      const name = `random.${hostInputs.length}`;
      hostInputs.push({ name, node: current!.node });
      return name;
    },
  };
  for (const n of g.nodes) {
    const tag = namer.name(n.outputs[0]!).replace("%", "v");
    current = { node: n, tag, k: 0, doc: printNode(n, namer, { indent: "" }) };
    const rule = opDef(n.op).onnx as Exclude<ReturnType<typeof opDef>["onnx"], { none: string }>;
    let out: string;
    try {
      out = rule(e, n.inputs.map((v) => names.get(v)!), n.attrs as never, { ins: n.inputs.map((v) => v.type), out: n.outputs[0]!.type });
    } catch (err) {
      if (err instanceof GraftError) throw err;
      throw new GraftError(`onnx: lowering ${describe(n)} failed: ${String(err)}`, "onnx", n.loc);
    }
    names.set(n.outputs[0]!, out);
  }
  // outputs: a node output is renamed in place when it is claimed once; anything else goes through Identity
  const producer = new Map<string, NodeMsg>();
  for (const nm of nodes) producer.set(nm.output[0]!, nm);
  const renamed = new Map<string, string>();
  const bind = (v: Value, outName: string, doc: string): ValueInfoMsg => {
    const src = names.get(v)!;
    const p = producer.get(src);
    if (p && !renamed.has(src)) {
      renamed.set(src, outName);
      p.output[0] = outName;
      for (const other of nodes) other.input = other.input.map((x) => (x === src ? outName : x));
    } else nodes.push({ input: [renamed.get(src) ?? src], output: [outName], name: outName, opType: "Identity", docString: doc });
    return valueInfo(outName, v.dtype, v.shape, doc);
  };
  const outputs = g.outputs.map((_, i) => `output_${i}`);
  const outInfos = g.outputs.map((v, i) => bind(v, outputs[i]!, `output ${i} of ${g.name}: ${typeStr(v.type)}`));
  const stateOut = g.assigns.map((a) => {
    const state = g.state.findIndex((s) => s.value === a.state);
    return { name: `state.${g.state[state]!.name}.next`, state };
  });
  const stateInfos = g.assigns.map((a, i) => bind(a.value, stateOut[i]!.name, `new value of state '${g.state[stateOut[i]!.state]!.name}'`));
  const graph: GraphMsg = {
    name: g.name,
    node: nodes,
    initializer: inits,
    input: [
      ...g.inputs.map((v, i) => valueInfo(inputs[i]!, v.dtype, v.shape, `argument ${i} of ${g.name}`)),
      ...g.state.map((s, i) => valueInfo(stateIn[i]!, s.value.dtype, s.value.shape, `state '${s.name}' (${s.trainable ? "trainable" : "not trainable"})`)),
      ...hostInputs.map((h) => valueInfo(h.name, h.node.outputs[0]!.dtype, h.node.outputs[0]!.shape, `random bits of ${printNode(h.node, namer, { indent: "" })}: graft's Threefry-2x32 of the key, computed by the caller`)),
    ],
    output: [...outInfos, ...stateInfos],
  };
  const meta: Record<string, string> = {
    "graft.inputs": JSON.stringify(inputs),
    "graft.state": JSON.stringify(g.state.map((s) => ({ name: s.name, input: `state.${s.name}`, trainable: s.trainable }))),
    "graft.state_outputs": JSON.stringify(stateOut.map((s) => ({ name: g.state[s.state]!.name, output: s.name }))),
    "graft.outputs": JSON.stringify(outputs),
    "graft.random": JSON.stringify(hostInputs.map((h) => ({ input: h.name, op: h.node.op, key: names.get(h.node.inputs[0]!) }))),
    ...opts.metadata,
  };
  const model: ModelMsg = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: "graft",
    producerVersion: "0.1.0",
    ...(opts.docString ? { docString: opts.docString } : {}),
    graph,
    metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
  };
  return { model, inputs, stateIn, stateOut, outputs, hostInputs };
}
