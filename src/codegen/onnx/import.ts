/** @file importONNX: an ONNX model (ops graft has) back into graft IR, so it can be differentiated and fine-tuned.
 *
 * Graph inputs become step inputs, except state: the inputs graft's metadata lists, or
 * `state.<name>` inputs with a `state.<name>.next` output (graft's naming), updated by an assign. Initializers and
 * Constant nodes become consts; shape-like operands (Reshape's shape, Slice's bounds, ...) must
 * be constants. int64 tensors are read as i32 (graft has no int64). Every unsupported op of the
 * model is reported at once.
 */
import { Builder, GraftError, ShapeError, UsageError, type DType, type Graph, type Value } from "../../ir/index.js";
import { decodeModel, type AttrMsg, type NodeMsg, type TensorMsg, type ValueInfoMsg } from "./proto.js";
import { IMPORTERS, type ImportCtx } from "./import-ops.js";

export interface ImportOptions {
  /** Graph name (default: the model's graph name). */
  readonly name?: string;
  /** Static shapes for inputs whose dims are symbolic, by input name. */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** Float initializers with more than one element become trainable state (weights to fine-tune) instead of constants. */
  readonly initializersAsState?: boolean;
}

export interface ImportedGraph {
  readonly graph: Graph;
  /** Initial values of the state taken from initializers (undefined for state that was a graph input). */
  readonly stateInit: readonly (number[] | undefined)[];
}

const DTYPES: Readonly<Record<number, DType>> = { 1: "f32", 6: "i32", 7: "i32", 9: "bool", 11: "f64" };

function dtypeOf(code: number | undefined, what: string): DType {
  const d = DTYPES[code ?? 0];
  if (!d) throw new UsageError(`importONNX: ${what} has element type ${code}, which graft does not have (float, double, int32, int64 as int32, bool)`);
  return d;
}

/** The numbers of a TensorProto, from raw_data or the typed fields. */
export function tensorValues(t: TensorMsg): number[] {
  const n = (t.dims ?? []).reduce((a, d) => a * d, 1);
  const raw = t.rawData;
  if (raw && raw.length) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      switch (t.dataType) {
        case 1: out[i] = dv.getFloat32(4 * i, true); break;
        case 11: out[i] = dv.getFloat64(8 * i, true); break;
        case 6: out[i] = dv.getInt32(4 * i, true); break;
        case 7: out[i] = Number(dv.getBigInt64(8 * i, true)); break;
        case 9: out[i] = dv.getUint8(i); break;
        default: throw new UsageError(`importONNX: initializer '${t.name}' has element type ${t.dataType}, which graft does not have`);
      }
    }
    return out;
  }
  return [...(t.floatData ?? t.doubleData ?? t.int32Data ?? t.int64Data ?? [])].map(Number);
}

const shapeOf = (v: ValueInfoMsg, opts: ImportOptions): number[] => {
  const given = opts.inputShapes?.[v.name];
  if (given) return [...given];
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d, i) => {
    if (typeof d.dimValue === "number") return d.dimValue;
    throw new ShapeError(`importONNX: input '${v.name}' has a symbolic dimension ${i} ('${d.dimParam ?? "?"}'); give its shape with { inputShapes: { ${JSON.stringify(v.name)}: [...] } }`);
  });
};

export function importModel(bytes: Uint8Array, opts: ImportOptions = {}): ImportedGraph {
  const m = decodeModel(bytes);
  const g = m.graph;
  if (!g) throw new UsageError("importONNX: the model has no graph");
  const foreign = (m.opsetImport ?? []).filter((o) => o.domain && o.domain !== "ai.onnx");
  const unsupported = new Map<string, string[]>();
  for (const n of g.node ?? []) {
    const known = (!n.domain || n.domain === "ai.onnx") && Object.prototype.hasOwnProperty.call(IMPORTERS, n.opType);
    if (!known) unsupported.set(n.opType, [...(unsupported.get(n.opType) ?? []), n.name || n.output[0]!]);
  }
  if (unsupported.size) {
    const list = [...unsupported].map(([op, where]) => `  ${op} (${where.length} node(s): ${where.slice(0, 3).join(", ")}${where.length > 3 ? ", ..." : ""})`);
    throw new GraftError(`importONNX: ${unsupported.size} ONNX op type(s) have no graft equivalent:\n${list.join("\n")}${foreign.length ? `\n  (custom domains: ${foreign.map((o) => o.domain).join(", ")})` : ""}`, "onnx");
  }
  const b = new Builder(opts.name ?? (g.name || "imported"));
  const env = new Map<string, Value>();
  const consts = new Map<string, number[]>();
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const outNames = new Set((g.output ?? []).map((o) => o.name));
  const stateOf = new Map<string, Value>();
  // graft's own models list their state (assigned or only read) in the metadata
  const meta = (m.metadataProps ?? []).find((p) => p.key === "graft.state");
  const listed = new Map<string, boolean>((meta ? (JSON.parse(meta.value) as { input: string; trainable: boolean }[]) : []).map((s) => [s.input, s.trainable]));
  const stateInit: (number[] | undefined)[] = [];
  for (const v of g.input ?? []) {
    if (inits.has(v.name)) continue;
    const type = { dtype: dtypeOf(v.type?.tensorType?.elemType, `input '${v.name}'`), shape: shapeOf(v, opts) };
    const isState = listed.has(v.name) || (v.name.startsWith("state.") && outNames.has(`${v.name}.next`));
    const val = isState ? b.stateParam(type, v.name.slice("state.".length), listed.get(v.name) ?? true) : b.input(type);
    if (isState) stateOf.set(v.name, val), stateInit.push(undefined);
    env.set(v.name, val);
  }
  if (opts.initializersAsState) {
    for (const t of inits.values()) {
      const dtype = DTYPES[t.dataType ?? 0];
      if ((dtype !== "f32" && dtype !== "f64") || (t.dims ?? []).reduce((a, d) => a * d, 1) <= 1) continue;
      env.set(t.name!, b.stateParam({ dtype, shape: [...(t.dims ?? [])] }, t.name!));
      stateInit.push(tensorValues(t));
    }
  }
  const constant = (t: TensorMsg, name: string): Value => {
    const values = tensorValues(t);
    consts.set(name, values);
    const dtype = dtypeOf(t.dataType, `constant '${name}'`);
    const same = values.length > 0 && values.every((x) => Object.is(x, values[0]));
    return b.emit("const", [], { dtype, shape: [...(t.dims ?? [])], value: same ? [values[0]!] : values });
  };
  const lookup = (name: string): Value => {
    let v = env.get(name);
    if (!v && inits.has(name)) env.set(name, (v = constant(inits.get(name)!, name)));
    if (!v) throw new UsageError(`importONNX: value '${name}' is used before it is defined`);
    return v;
  };
  for (const n of g.node ?? []) {
    const attrs = new Map<string, AttrMsg>((n.attribute ?? []).map((a) => [a.name, a]));
    const ctx: ImportCtx = {
      b,
      node: n,
      input: (i) => (n.input[i] ? lookup(n.input[i]!) : undefined),
      ints: (i) => {
        const name = n.input[i];
        if (!name) return undefined;
        if (!consts.has(name) && inits.has(name)) lookup(name);
        const c = consts.get(name);
        if (!c) throw new UsageError(`importONNX: ${describeNode(n)} needs input ${i} ('${name}') to be a constant`);
        return c;
      },
      attr: (k) => attrs.get(k),
      constant: (t) => constant(t, n.output[0]!),
    };
    b.loc = n.name || undefined;
    let outs: Value[];
    try {
      const r = IMPORTERS[n.opType]!(ctx);
      outs = Array.isArray(r) ? r : [r];
    } catch (e) {
      if (e instanceof GraftError) throw new GraftError(`importONNX: ${describeNode(n)}: ${e.detail}`, e.code);
      throw e;
    }
    n.output.forEach((o, i) => outs[i] && env.set(o, outs[i]!));
    // a Constant's value is also known statically (for shape operands downstream)
    if (n.opType === "Constant" && consts.has(n.output[0]!)) consts.set(n.output[0]!, consts.get(n.output[0]!)!);
  }
  b.loc = undefined;
  // state made from initializers is read, never assigned: it is updated by whoever trains it
  for (const o of g.output ?? []) {
    const st = o.name.endsWith(".next") ? stateOf.get(o.name.slice(0, -".next".length)) : undefined;
    if (st) b.assign(st, lookup(o.name));
    else b.output(lookup(o.name));
  }
  return { graph: b.finish(), stateInit };
}

const describeNode = (n: NodeMsg): string => `${n.opType} node '${n.name || n.output[0]}'`;
