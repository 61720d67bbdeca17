/** @file JSON (de)serialization of graphs. Reading validates everything first: never half-loaded. */
import { ParseError } from "./errors.js";
import { parseDType } from "./dtype.js";
import { Builder, sameType, typeStr, type Graph, type TensorType, type Value } from "./graph.js";
import { isOpName, opDef, type OpName } from "./ops/index.js";
import { checkAttrs } from "./attrs.js";

export const JSON_FORMAT = "graft-ir";
export const JSON_VERSION = 1;

interface JType {
  dtype: string;
  shape: number[];
}
interface JFunc {
  name: string;
  inputs: JType[];
  state: (JType & { name: string; trainable: boolean })[];
  nodes: { op: string; inputs: number[]; attrs: Record<string, unknown>; outputs: JType[]; loc?: string; body?: JFunc }[];
  outputs: number[];
  assigns: [number, number][];
}

/**
 * JSON has no NaN, Infinity or -0 (stringify writes null and 0), so float attributes spell those
 * as the strings the text printer uses, and the reader turns them back into numbers.
 */
const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };
const encodeNum = (x: number): number | string => (Number.isFinite(x) && !Object.is(x, -0) ? x : Object.is(x, -0) ? "-0" : String(x));
const decodeNum = (x: unknown): unknown => (typeof x === "string" && x in SPECIAL ? SPECIAL[x] : x);

function attrsToJSON(op: OpName, attrs: Graph["nodes"][number]["attrs"]): Record<string, unknown> {
  const schema = opDef(op).attrs as Record<string, string>;
  const out: Record<string, unknown> = {};
  // sorted keys: the same graph always serializes to the same text
  for (const k of Object.keys(attrs).sort()) {
    const v = attrs[k];
    out[k] = schema[k] === "floats" && Array.isArray(v) ? v.map(encodeNum) : schema[k] === "float" && typeof v === "number" ? encodeNum(v) : v;
  }
  return out;
}

function attrsFromJSON(op: OpName, attrs: Record<string, unknown>): Record<string, unknown> {
  const schema = opDef(op).attrs as Record<string, string>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = schema[k] === "floats" && Array.isArray(v) ? v.map(decodeNum) : schema[k] === "float" ? decodeNum(v) : v;
  return out;
}

function funcToJSON(g: Graph): JFunc {
  const ids = new Map<Value, number>();
  const id = (v: Value): number => ids.get(v)!;
  const add = (v: Value): JType => (ids.set(v, ids.size), { dtype: v.dtype, shape: [...v.shape] });
  return {
    name: g.name,
    inputs: g.inputs.map(add),
    state: g.state.map((s) => ({ ...add(s.value), name: s.name, trainable: s.trainable })),
    nodes: g.nodes.map((n) => ({
      op: n.op,
      inputs: n.inputs.map(id),
      attrs: attrsToJSON(n.op, n.attrs),
      outputs: n.outputs.map(add),
      ...(n.loc ? { loc: n.loc } : {}),
      ...(n.body ? { body: funcToJSON(n.body) } : {}),
    })),
    outputs: g.outputs.map(id),
    assigns: g.assigns.map((a) => [id(a.state), id(a.value)]),
  };
}

/** A JSON-ready object; `JSON.stringify` it to write a file. */
export function graphToJSON(g: Graph): { format: string; version: number; func: JFunc } {
  return { format: JSON_FORMAT, version: JSON_VERSION, func: funcToJSON(g) };
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function readFunc(j: unknown, path: string): Graph {
  const bad = (m: string): never => {
    throw new ParseError(`JSON IR ${path}: ${m}`);
  };
  if (!isObj(j)) return bad("expected an object");
  // Array.from fills holes of sparse arrays (objects built in JS) with undefined, which `ref` rejects
  const arr = (k: string): unknown[] => (Array.isArray(j[k]) ? Array.from(j[k] as unknown[]) : bad(`'${k}' must be an array`));
  const type = (t: unknown, where: string): TensorType => {
    if (!isObj(t) || typeof t.dtype !== "string" || !Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      return bad(`${where}: expected {dtype, shape} with a non-negative integer shape`);
    }
    try {
      return { dtype: parseDType(t.dtype), shape: t.shape as number[] };
    } catch {
      return bad(`${where}: unknown dtype '${t.dtype}'`);
    }
  };
  if (typeof j.name !== "string") bad("'name' must be a string");
  const b = new Builder(j.name as string);
  const vals: Value[] = [];
  const ref = (i: unknown, where: string): Value =>
    Number.isInteger(i) && (i as number) >= 0 && (i as number) < vals.length ? vals[i as number]! : bad(`${where}: value ${JSON.stringify(i)} is not defined yet`);
  arr("inputs").forEach((t, i) => vals.push(b.input(type(t, `inputs[${i}]`))));
  arr("state").forEach((s, i) => {
    const t = type(s, `state[${i}]`);
    if (!isObj(s) || typeof s.name !== "string" || typeof s.trainable !== "boolean") bad(`state[${i}]: needs a string 'name' and boolean 'trainable'`);
    vals.push(b.stateParam(t, (s as { name: string }).name, (s as { trainable: boolean }).trainable));
  });
  arr("nodes").forEach((n, k) => {
    const where = `nodes[${k}]`;
    if (!isObj(n) || typeof n.op !== "string" || !Array.isArray(n.inputs) || !Array.isArray(n.outputs)) return bad(`${where}: needs 'op', 'inputs' and 'outputs'`);
    if (!isOpName(n.op)) return bad(`${where}: unknown op '${n.op}'`);
    if (n.attrs !== undefined && !isObj(n.attrs)) return bad(`${where}: 'attrs' must be an object`);
    const checked = checkAttrs(n.op, attrsFromJSON(n.op, (n.attrs ?? {}) as Record<string, unknown>));
    if ("problems" in checked) return bad(`${where}: ${checked.problems.join("; ")}`);
    const body = n.body === undefined ? undefined : readFunc(n.body, `${path}.${where}.body`);
    let outs: Value[] = [];
    try {
      outs = b.emitMulti(n.op, Array.from(n.inputs as unknown[], (i, q) => ref(i, `${where}.inputs[${q}]`)), checked.attrs as never, typeof n.loc === "string" ? n.loc : undefined, body);
    } catch (e) {
      if (e instanceof ParseError) throw e;
      bad(`${where} (${n.op}): ${(e as { detail?: string }).detail ?? String(e)}`);
    }
    if (outs.length !== n.outputs.length) bad(`${where}: ${n.op} defines ${outs.length} value(s), the JSON lists ${n.outputs.length}`);
    outs.forEach((v, i) => {
      const t = type((n.outputs as unknown[])[i], `${where}.outputs[${i}]`);
      if (!sameType(t, v.type)) bad(`${where}: ${n.op} infers ${typeStr(v.type)} but the JSON declares ${typeStr(t)}`);
      vals.push(v);
    });
  });
  b.output(...arr("outputs").map((i, q) => ref(i, `outputs[${q}]`)));
  const stateVals = new Set(vals.slice((j.inputs as unknown[]).length, (j.inputs as unknown[]).length + (j.state as unknown[]).length));
  const seen = new Set<Value>();
  arr("assigns").forEach((a, q) => {
    if (!Array.isArray(a) || a.length !== 2) return bad(`assigns[${q}]: expected [state, value]`);
    const s = ref(a[0], `assigns[${q}]`);
    const v = ref(a[1], `assigns[${q}]`);
    if (!stateVals.has(s)) bad(`assigns[${q}]: target is not a state parameter`);
    if (seen.has(s)) bad(`assigns[${q}]: state assigned twice`);
    if (!sameType(s.type, v.type)) bad(`assigns[${q}]: state is ${typeStr(s.type)} but the value is ${typeStr(v.type)}`);
    seen.add(s);
    b.assign(s, v);
  });
  return b.finish();
}

/** Reads a graph from JSON text or an already-parsed object. */
export function graphFromJSON(input: string | unknown): Graph {
  let j: unknown = input;
  if (typeof input === "string") {
    try {
      j = JSON.parse(input);
    } catch (e) {
      throw new ParseError(`JSON IR: not valid JSON (${(e as Error).message})`);
    }
  }
  if (!isObj(j) || j.format !== JSON_FORMAT) throw new ParseError(`JSON IR: expected {"format": "${JSON_FORMAT}", ...}`);
  if (j.version !== JSON_VERSION) throw new ParseError(`JSON IR: unsupported version ${JSON.stringify(j.version)} (this graft reads ${JSON_VERSION})`);
  return readFunc(j.func, "func");
}
