/** @file The deterministic text form of a graph: values renumbered in order, attributes sorted. */
import type { Graph, Node, TensorType, Value } from "./graph.js";
import { typeStr } from "./graph.js";
import { opDef } from "./ops/index.js";

export interface PrintOptions {
  /** Append `// file:line` to nodes that know where the user created them (default true). */
  readonly locs?: boolean;
  readonly indent?: string;
}

/** Numbers printed so that parsing gives back the same double. */
export function numStr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (Object.is(x, -0)) return "-0";
  return String(x);
}

function attrStr(op: Node["op"], key: string, v: unknown): string {
  const type = (opDef(op).attrs as Record<string, string>)[key];
  if (type === "dtype") return String(v);
  if (Array.isArray(v)) return `[${v.map(numStr).join(",")}]`;
  if (typeof v === "number") return numStr(v);
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

/** Assigns %0, %1, ... to a graph's values in definition order. */
export class Namer {
  private readonly names = new Map<Value, string>();
  constructor(g: Graph) {
    let i = 0;
    const add = (v: Value): void => void this.names.set(v, `%${i++}`);
    g.inputs.forEach(add);
    g.state.forEach((s) => add(s.value));
    for (const n of g.nodes) n.outputs.forEach(add);
  }
  name(v: Value): string {
    return this.names.get(v) ?? `%?${v.id}`;
  }
}

const locComment = (n: Node, opts: PrintOptions): string => (opts.locs !== false && n.loc ? `  // ${n.loc.replace(/[\r\n]/g, " ")}` : "");

/** One node as a line (its body, if any, on the following lines). */
export function printNode(n: Node, names: Namer, opts: PrintOptions = {}): string {
  const ind = opts.indent ?? "  ";
  const defs = n.outputs.map((v) => `${names.name(v)}: ${typeStr(v.type)}`).join(", ");
  const args = n.inputs.length ? ` ${n.inputs.map((v) => names.name(v)).join(", ")}` : "";
  const keys = Object.keys(n.attrs).sort();
  const attrs = keys.length ? ` {${keys.map((k) => `${k}=${attrStr(n.op, k, n.attrs[k])}`).join(", ")}}` : "";
  const head = `${ind}${defs} = ${n.op}${args}${attrs}`;
  if (!n.body) return head + locComment(n, opts);
  const body = printGraph(n.body, { ...opts, indent: ind }).split("\n");
  // the body's opening line joins the node's line; the comment goes after its brace
  return `${head} ${body[0]!.trimStart()}${locComment(n, opts)}\n${body.slice(1).join("\n")}`;
}

/** The whole function as text; `parse` reads it back to an identical printout. */
export function printGraph(g: Graph, opts: PrintOptions = {}): string {
  const ind = opts.indent ?? "";
  const inner = { ...opts, indent: ind + "  " };
  const names = new Namer(g);
  const param = (v: Value): string => `${names.name(v)}: ${typeStr(v.type)}`;
  const state = g.state.length
    ? ` state(${g.state.map((s) => `${param(s.value)} ${JSON.stringify(s.name)}${s.trainable ? "" : " frozen"}`).join(", ")})`
    : "";
  const lines = [`${ind}func @${safeName(g.name)}(${g.inputs.map(param).join(", ")})${state} -> (${g.outputs.map((v) => typeStr(v.type)).join(", ")}) {`];
  for (const n of g.nodes) lines.push(printNode(n, names, inner));
  for (const a of g.assigns) lines.push(`${inner.indent}assign ${names.name(a.state)}, ${names.name(a.value)}`);
  lines.push(`${inner.indent}return${g.outputs.length ? " " + g.outputs.map((v) => names.name(v)).join(", ") : ""}`);
  lines.push(`${ind}}`);
  return lines.join("\n");
}

export const printType = (t: TensorType): string => typeStr(t);

/** Function names as the parser accepts them. */
export const safeName = (name: string): string => name.replace(/[^\w.$-]/g, "_") || "main";
