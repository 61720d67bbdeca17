/** @file Graphviz DOT for a graph: ops labelled with dtype and shape, fused kernels as clusters, gradients and state updates marked. */
import type { Graph, Node, Value } from "./graph.js";
import { typeStr } from "./graph.js";
import { Namer, numStr } from "./print.js";

export interface DotOptions {
  /** Nodes autodiff created; drawn in a distinct colour with class "grad". Default: none. */
  readonly isGrad?: (n: Node) => boolean;
  /** Show a node's `file:line` as its tooltip (default true). */
  readonly locs?: boolean;
  /** Graph direction, Graphviz's rankdir (default "TB"). */
  readonly rankdir?: "TB" | "LR";
}

/**
 * Node classes (Graphviz copies `class` into the SVG, so pictures can be styled and tested):
 * "input", "state", "op", "grad" (an op autodiff made), "const", "assign", "output"; clusters of
 * fused kernels have class "kernel" and are named `cluster_k<i>` in node order.
 */
const STYLE = {
  input: 'shape=ellipse, style=filled, fillcolor="#dbeafe"',
  state: 'shape=cylinder, style=filled, fillcolor="#fef3c7"',
  op: 'shape=box, style="rounded,filled", fillcolor="#ffffff"',
  const: 'shape=box, style="rounded,filled", fillcolor="#f3f4f6", fontcolor="#6b7280"',
  grad: 'shape=box, style="rounded,filled", fillcolor="#fee2e2", color="#b91c1c"',
  assign: 'shape=invhouse, style="filled,bold", fillcolor="#fed7aa", color="#c2410c"',
  output: 'shape=doublecircle, style=filled, fillcolor="#dcfce7"',
} as const;
type NodeClass = keyof typeof STYLE;

/** A DOT double-quoted string: backslashes and quotes escaped, newlines as Graphviz line breaks. */
export const dotString = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;

/** Short attribute text for labels: big constants are elided, everything else as printed. */
function attrsLabel(n: Node): string {
  const keys = Object.keys(n.attrs).filter((k) => !(n.op === "const" && (k === "dtype" || k === "shape"))).sort();
  const show = (v: unknown): string => {
    if (Array.isArray(v)) return v.length > 6 ? `[${v.slice(0, 4).map(numStr).join(",")},… ${v.length}]` : `[${v.map(numStr).join(",")}]`;
    return typeof v === "number" ? numStr(v) : String(v);
  };
  return keys.map((k) => `${k}=${show(n.attrs[k])}`).join(" ");
}

/** Renders a graph as a `digraph`; `toSvg` in the CLI draws it with Graphviz compiled to wasm. */
export function toDot(g: Graph, opts: DotOptions = {}): string {
  const isGrad = opts.isGrad ?? (() => false);
  const names = new Namer(g);
  const lines: string[] = [
    `digraph ${dotString(g.name)} {`,
    `  rankdir=${opts.rankdir ?? "TB"};`,
    `  node [fontname="Helvetica", fontsize=10];`,
    `  edge [fontname="Helvetica", fontsize=8, color="#6b7280"];`,
  ];
  // Which DOT node defines each value of `g` (a fused kernel's outputs come from its body nodes).
  const producer = new Map<Value, string>();
  const edges: string[] = [];
  const emitNode = (id: string, cls: NodeClass, label: string, indent: string, tooltip?: string): void => {
    const tip = tooltip && opts.locs !== false ? `, tooltip=${dotString(tooltip)}` : "";
    lines.push(`${indent}${id} [label=${dotString(label)}, class=${dotString(cls)}, ${STYLE[cls]}${tip}];`);
  };
  const edge = (from: string | undefined, to: string, label?: string): void => {
    if (from) edges.push(`  ${from} -> ${to}${label ? ` [label=${dotString(label)}]` : ""};`);
  };

  g.inputs.forEach((v, i) => {
    emitNode(`in${i}`, "input", `${names.name(v)}\n${typeStr(v.type)}`, "  ");
    producer.set(v, `in${i}`);
  });
  g.state.forEach((s, i) => {
    emitNode(`st${i}`, "state", `${s.name}${s.trainable ? "" : " (frozen)"}\n${names.name(s.value)}: ${typeStr(s.value.type)}`, "  ");
    producer.set(s.value, `st${i}`);
  });

  /** One op node; `where` maps the node's input values to DOT ids (body inputs map to outer producers). */
  const opNode = (n: Node, id: string, indent: string, label: string, src: (v: Value) => string | undefined): void => {
    const cls: NodeClass = isGrad(n) ? "grad" : n.op === "const" ? "const" : "op";
    const attrs = attrsLabel(n);
    emitNode(id, cls, `${label}${n.op}${attrs ? ` ${attrs}` : ""}\n${n.outputs.map((o) => typeStr(o.type)).join(", ")}`, indent, n.loc);
    n.inputs.forEach((v, k) => edge(src(v), id, n.inputs.length > 1 ? String(k) : undefined));
  };

  let kernel = 0;
  g.nodes.forEach((n, i) => {
    const outNames = n.outputs.map((o) => names.name(o)).join(", ");
    if (!n.body) {
      opNode(n, `n${i}`, "  ", `${outNames} = `, (v) => producer.get(v));
      n.outputs.forEach((o) => producer.set(o, `n${i}`));
      return;
    }
    // A region (fused kernel): its body's ops inside a cluster, wired to the outer graph.
    const k = kernel++;
    const body = n.body;
    const inner = new Map<Value, string>();
    body.inputs.forEach((bv, j) => {
      const outer = producer.get(n.inputs[j]!);
      if (outer) inner.set(bv, outer);
    });
    const kind = typeof n.attrs.kind === "string" ? n.attrs.kind : n.op;
    const title = typeof n.attrs.name === "string" ? n.attrs.name : n.op;
    lines.push(`  subgraph cluster_k${k} {`);
    lines.push(`    label=${dotString(`kernel ${k}: ${title} (${kind})\n${outNames}`)}; class="kernel"; style="rounded,filled"; fillcolor="#eef2ff"; color="#6366f1";`);
    body.nodes.forEach((bn, j) => {
      const id = `k${k}_${j}`;
      // body values are labelled by the outer value they become, when they are kernel outputs
      const label = bn.outputs.map((o) => { const q = body.outputs.indexOf(o); return q >= 0 ? names.name(n.outputs[q]!) : ""; }).filter(Boolean).join(", ");
      opNode(bn, id, "    ", label ? `${label} = ` : "", (v) => inner.get(v));
      bn.outputs.forEach((o) => inner.set(o, id));
    });
    lines.push("  }");
    n.outputs.forEach((o, q) => {
      const src = inner.get(body.outputs[q]!);
      if (src) producer.set(o, src);
    });
  });

  g.assigns.forEach((a, i) => {
    const k = g.state.findIndex((p) => p.value === a.state);
    emitNode(`as${i}`, "assign", `assign ${k >= 0 ? g.state[k]!.name : names.name(a.state)}`, "  ");
    edge(producer.get(a.value), `as${i}`);
    // the dashed edge back to the state it updates closes the loop between steps
    if (k >= 0) edges.push(`  as${i} -> st${k} [style=dashed, constraint=false, color="#c2410c"];`);
  });
  if (g.outputs.length) {
    emitNode("out", "output", "return", "  ");
    g.outputs.forEach((v, i) => edge(producer.get(v), "out", g.outputs.length > 1 ? `#${i}` : undefined));
  }
  lines.push(...edges, "}");
  return lines.join("\n");
}
