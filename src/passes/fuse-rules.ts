/** @file Fusion legality and priority: what may share a kernel (with a reason when not), and which pair goes first. */
import { broadcastShapes, opDef, sameShape, sizeOf, type Node, type OpName, type Shape, type Value } from "../ir/index.js";
import { constNode, splatOf } from "./rewrite.js";
import type { FusionKind } from "../ir/ops/region.js";

/** What a node is to the fusion planner. */
export type Role = "ew" | "reduce" | "matmul" | "view" | "splat" | "opaque";

/** Movement ops that are pure index maps of their operand (no data is moved if they sit in a kernel). */
const VIEW_OPS: Partial<Record<OpName, (n: Node) => boolean>> = {
  broadcast_to: () => true,
  // only reshapes that insert or remove size-1 axes: the element order and strides are unchanged
  reshape: (n) => sameShape(n.inputs[0]!.shape.filter((d) => d !== 1), n.outputs[0]!.shape.filter((d) => d !== 1)),
};

export function roleOf(n: Node): Role {
  const def = opDef(n.op);
  switch (def.kind) {
    case "elementwise":
    case "barrier":
      return "ew";
    // only reductions with a combiner (sum, mean, max, ...) loop over a domain; argmax is a kernel
    case "reduce":
      return "reduce" in def.js ? "reduce" : "opaque";
    case "contract":
      return "matmul";
    case "movement":
      return VIEW_OPS[n.op]?.(n) ? "view" : "opaque";
    case "source":
      return constNode(n.outputs[0]!) && splatOf(n.outputs[0]!) !== undefined ? "splat" : "opaque";
    default:
      return "opaque";
  }
}

/** A candidate kernel: a set of nodes, in graph order. */
export interface Group {
  readonly id: number;
  readonly nodes: Node[];
}

/** Where a group's ops run: the loop domain, the reduced (or matmul output) shape, and which ops run before the core. */
export interface GroupShape {
  readonly kind: FusionKind;
  /** elementwise: the loop shape; reduce: the shape reduced over; matmul: the output shape. */
  readonly domain: Shape;
  /** The shape post-core ops run on (reduce output / matmul output); = domain for elementwise. */
  readonly out: Shape;
  /** Ops that run before the core, per domain element (reduce prologue); empty for matmul. */
  readonly pre: ReadonlySet<Node>;
}

export type Verdict = { readonly ok: true; readonly shape: GroupShape } | { readonly ok: false; readonly reason: string };

const no = (reason: string): Verdict => ({ ok: false, reason });
const fmt = (s: Shape): string => `[${s.join(",")}]`;
const fits = (s: Shape, into: Shape): boolean => {
  try {
    return sameShape(broadcastShapes(s, into), into);
  } catch {
    return false;
  }
};

/**
 * How often a loop over `loop` (row-major) evaluates a value of the smaller shape `s`: a loop
 * generator computes it at the innermost loop it varies along (hoisting it out of the loops it
 * does not), so an f32[128,1] in a [128,10] loop costs 128 evaluations, an f32[1,10] 1280.
 */
function evaluations(s: Shape, loop: Shape): number {
  const full = [...new Array<number>(loop.length - s.length).fill(1), ...s];
  let last = -1;
  full.forEach((d, i) => d !== 1 && (last = i));
  return sizeOf(loop.slice(0, last + 1));
}

export interface LegalityEnv {
  /** Users of a value: nodes, plus "out" when the graph returns or assigns it. */
  readonly users: (v: Value) => readonly (Node | "out")[];
  readonly matmulEpilogues: boolean;
  /** Most extra op evaluations (per element of the loop) recomputing smaller values may cost (see `evaluations`). */
  readonly recomputeBudget: number;
}

const reduceSig = (n: Node): string => `${fmt(n.inputs[0]!.shape)}/${(n.attrs["axes"] as number[]).join(",")}/${String(n.attrs["keepDims"])}`;

/**
 * Can `nodes` be one kernel, and of what shape? The checks, each with its reason:
 * cores (at most one matmul, or reductions that all reduce the same axes of the same shape,
 * never both); no reduction or matmul reads a value computed after a core in the same kernel
 * (that would need a second pass); every op's result broadcasts into the shape its loop runs
 * on; every value the kernel writes out has exactly that shape; recomputation stays cheap.
 */
export function shapeOf(nodes: readonly Node[], env: LegalityEnv): Verdict {
  const set = new Set(nodes);
  const cores = nodes.filter((n) => roleOf(n) !== "ew");
  const matmuls = cores.filter((n) => roleOf(n) === "matmul");
  const reds = cores.filter((n) => roleOf(n) === "reduce");
  if (matmuls.length > 1) return no("a kernel holds at most one matmul");
  if (matmuls.length && reds.length) return no("a matmul and a reduction are different loop nests");
  if (reds.length && new Set(reds.map(reduceSig)).size > 1) return no(`reductions over different shapes or axes (${[...new Set(reds.map(reduceSig))].join(" vs ")})`);
  // after: ops that (transitively, inside the kernel) read a core's result
  const after = new Set<Node>();
  for (const n of nodes) {
    const dep = n.inputs.some((v) => v.def && set.has(v.def) && (cores.includes(v.def) || after.has(v.def)));
    if (dep) after.add(n);
  }
  for (const c of cores) if (after.has(c)) return no(`${c.op} reads the result of another ${roleOf(c) === "matmul" ? "matmul" : "reduction"} in the same kernel: two passes over the data`);
  const mm = matmuls[0];
  if (mm && mm.inputs.some((v) => v.def && set.has(v.def))) return no("matmul operands are read tile by tile: a computed operand (prologue) is written to memory first");
  if (mm && !env.matmulEpilogues && nodes.length > 1) return no("matmul epilogues are off (options.matmulEpilogues)");
  let kind: FusionKind;
  let domain: Shape;
  let out: Shape;
  const pre = new Set<Node>();
  if (mm) {
    kind = "matmul";
    domain = out = mm.outputs[0]!.shape;
  } else if (reds.length) {
    kind = "reduce";
    domain = reds[0]!.inputs[0]!.shape;
    out = reds[0]!.outputs[0]!.shape;
    for (const n of nodes) if (!cores.includes(n) && !after.has(n)) pre.add(n);
  } else {
    kind = "elementwise";
    try {
      domain = out = nodes.reduce<Shape>((s, n) => broadcastShapes(s, n.outputs[0]!.shape), []);
    } catch {
      return no("the ops do not broadcast to one loop shape");
    }
    for (const n of nodes) pre.add(n);
  }
  let extra = 0;
  for (const n of nodes) {
    if (cores.includes(n)) continue;
    const level = pre.has(n) ? domain : out;
    const s = n.outputs[0]!.shape;
    if (!fits(s, level)) return no(`${n.op} on ${fmt(s)} does not run in the kernel's ${fmt(level)} loop`);
    if (!sameShape(s, level)) extra += evaluations(s, level) - sizeOf(s);
    for (const v of n.outputs) {
      if (!sameShape(s, level) && env.users(v).some((u) => u === "out" || !set.has(u))) {
        return no(`${n.op} on ${fmt(s)} is needed outside, but the kernel's loop writes ${fmt(level)}`);
      }
    }
  }
  const loop = sizeOf(kind === "reduce" ? domain : out);
  if (extra > env.recomputeBudget * Math.max(loop, 1)) return no(`recomputing smaller values in a ${fmt(kind === "reduce" ? domain : out)} loop would cost ${extra} extra op evaluations`);
  return { ok: true, shape: { kind, domain, out, pre } };
}

/** Priority: the bytes a merge keeps out of memory (a value no longer written and read back). */
export const bytesOf = (v: Value): number => sizeOf(v.shape) * (v.dtype === "f64" ? 8 : v.dtype === "bool" ? 1 : 4);

export interface Candidate {
  readonly a: Node;
  readonly b: Node;
  readonly score: number;
  /** vertical: b reads a's result; horizontal: two reductions of the same shape and axes. */
  readonly how: "vertical" | "horizontal";
}

/**
 * How many later same-shape reductions each reduction is offered to as a sibling. All pairs would
 * be quadratic in the number of reductions (a deep network's bias gradients all share one shape),
 * and so would the cycle checks and the refusal notes; siblings far apart in the graph rarely merge
 * anyway (work between them usually reads one and feeds the other).
 */
export const SIBLING_WINDOW = 8;

/**
 * Every pair worth trying, best first. A producer-consumer edge saves the bytes of the value
 * read back, and as much again when the consumer is its only user (the value is then never
 * written at all); sibling reductions of the same shape and axes come after every edge.
 */
export function candidates(nodes: readonly Node[], groupable: (n: Node) => boolean, users: LegalityEnv["users"]): Candidate[] {
  const out: Candidate[] = [];
  const index = new Map(nodes.map((n, i) => [n, i]));
  for (const n of nodes) {
    if (!groupable(n)) continue;
    for (const v of n.inputs) {
      if (!v.def || !groupable(v.def)) continue;
      const sole = users(v).every((u) => u === n);
      out.push({ a: v.def, b: n, score: bytesOf(v) * (sole ? 2 : 1), how: "vertical" });
    }
  }
  // same-signature reductions in graph order; each is paired with the next SIBLING_WINDOW of them
  const bySig = new Map<string, Node[]>();
  for (const n of nodes) {
    if (!groupable(n) || roleOf(n) !== "reduce") continue;
    const sig = reduceSig(n);
    (bySig.get(sig) ?? bySig.set(sig, []).get(sig)!).push(n);
  }
  for (const reds of bySig.values()) {
    for (let i = 0; i < reds.length; i++) {
      for (let j = i + 1; j < Math.min(reds.length, i + 1 + SIBLING_WINDOW); j++) {
        out.push({ a: reds[i]!, b: reds[j]!, score: bytesOf(reds[i]!.inputs[0]!) / 2, how: "horizontal" });
      }
    }
  }
  const rank = (c: Candidate) => (c.how === "vertical" ? 0 : 1);
  return out.sort((p, q) => rank(p) - rank(q) || q.score - p.score || index.get(p.b)! - index.get(q.b)! || index.get(p.a)! - index.get(q.a)!);
}

/**
 * Checks one `fusion` node against the contract in src/ir/ops/region.ts (what codegens rely on):
 * its body holds only elementwise ops, combiner reductions and at most one matmul, plus splat
 * constants and views of body inputs; the ops form one legal kernel of the declared kind; every
 * output has the shape of the loop that writes it. Returns the problem, or undefined.
 */
export function kernelProblem(n: Node): string | undefined {
  const body = n.body;
  if (!body) return "a fusion node without a body";
  const inputs = new Set(body.inputs);
  const views = new Set<Value>(inputs);
  const ops: Node[] = [];
  for (const m of body.nodes) {
    const role = roleOf(m);
    if (role === "splat") continue;
    if (role === "view") {
      if (!views.has(m.inputs[0]!)) return `${m.op} of a computed value inside kernel "${String(n.attrs["name"])}"`;
      views.add(m.outputs[0]!);
      continue;
    }
    if (role === "opaque") return `${m.op} cannot be inside a kernel`;
    if (role === "matmul" && m.inputs.some((v) => !inputs.has(v))) return "a matmul operand is not a body input";
    ops.push(m);
  }
  const outs = new Set(body.outputs);
  const users = (v: Value): (Node | "out")[] => [...body.nodes.filter((m) => m.inputs.includes(v)), ...(outs.has(v) ? ["out" as const] : [])];
  if (body.outputs.some((v) => !v.def || !ops.includes(v.def))) return "an output is not computed by the kernel's ops";
  const verdict = shapeOf(ops, { users, matmulEpilogues: true, recomputeBudget: Infinity });
  if (!verdict.ok) return verdict.reason;
  if (verdict.shape.kind !== n.attrs["kind"]) return `declared kind "${String(n.attrs["kind"])}" but the body is a ${verdict.shape.kind} kernel`;
  if (verdict.shape.kind === "matmul" && roleOf(body.nodes[0]!) !== "matmul") return "a matmul kernel's body must start with its matmul";
  return undefined;
}
