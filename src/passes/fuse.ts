/** @file Fusion: plan kernels greedily (legality and priority in fuse-rules.ts), then build `fusion` region nodes.
 *
 * Every elementwise op, reduction and matmul of the optimized graph ends up in exactly one
 * `fusion` node (a lone op is a kernel of one), so the fused stage is: fusion nodes, plus the
 * few ops that are kernels of their own (gather, transpose copies, argmax, random), plus
 * constants and views. See src/ir/ops/region.ts for what a body may contain.
 *
 * Cost. Candidates are linear in the graph (producer-consumer edges, plus each reduction offered
 * to the next SIBLING_WINDOW same-shape ones); building the fused graph is linear (Kahn with a
 * heap, use sets). The cycle check is a reachability query, bounded by a topological order of
 * the kernels kept across merges to the units placed between the pair, and searched from both
 * ends at once. It is not linear in the worst case (a pair with many units between it and no
 * path, searched to exhaustion on both sides); deep networks stay near linear (W7 in bench/).
 */
import { Builder, Namer, VerifyError, type Graph, type Node, type Value } from "../ir/index.js";
import type { FusionKind } from "../ir/ops/region.js";
import { eliminateDeadCode } from "./dce.js";
import { candidates, kernelProblem, roleOf, shapeOf, type GroupShape, type LegalityEnv } from "./fuse-rules.js";
import type { Pass, PassContext, PassOptions } from "./pass.js";
import { MinHeap } from "./heap.js";

/** One kernel of the plan. */
export interface PlannedKernel {
  readonly nodes: readonly Node[];
  readonly shape: GroupShape;
}

/** The plan and every decision made on the way, for `explain`. */
export interface FusionPlan {
  readonly kernels: readonly PlannedKernel[];
  /** "fused A + B", in the order merges happened. */
  readonly merges: readonly string[];
  /** Pairs left apart, with the reason (the last one given for that pair). */
  readonly refusals: readonly string[];
  /** Names of the planned graph's values, for messages. */
  readonly names: Namer;
}

/** Groups nodes into kernels: every candidate pair, best first, merged when legal, until nothing changes. */
export function planFusion(g: Graph, opts: PassOptions = {}): FusionPlan {
  const names = new Namer(g);
  const label = (n: Node): string => `${names.name(n.outputs[0]!)} (${n.op})`;
  const usersOf = new Map<Value, (Node | "out")[]>();
  const use = (v: Value, u: Node | "out") => (usersOf.get(v) ?? usersOf.set(v, []).get(v)!).push(u);
  for (const n of g.nodes) for (const v of n.inputs) use(v, n);
  for (const v of g.outputs) use(v, "out");
  for (const a of g.assigns) use(a.value, "out");
  const env: LegalityEnv = { users: (v) => usersOf.get(v) ?? [], matmulEpilogues: opts.matmulEpilogues ?? true, recomputeBudget: 4 };
  const groupable = (n: Node) => ["ew", "reduce", "matmul"].includes(roleOf(n));

  // union-find over nodes: each group is a set with its members in graph order
  const groupOf = new Map<Node, Set<Node>>();
  for (const n of g.nodes) if (groupable(n)) groupOf.set(n, new Set([n]));
  const order = new Map(g.nodes.map((n, i) => [n, i]));
  const sorted = (s: Iterable<Node>) => [...s].sort((p, q) => order.get(p)! - order.get(q)!);

  /**
   * A topological order of the kernel graph (units: groups, and nodes outside every group), kept
   * valid across merges. It bounds the cycle check: a path into `to` only runs through units
   * placed before `to`, so the walk stops at anything placed at or after it and never sees the
   * rest of the graph. Starts as graph order (every unit a single node).
   */
  const pos = new Map<Node, number>(g.nodes.map((n, i) => [n, i]));
  const unitOf = (n: Node): Iterable<Node> => groupOf.get(n) ?? [n];
  const posOf = (s: Set<Node>): number => pos.get(s.values().next().value!)!;

  /**
   * Would merging A and B make a cycle: a path from one to the other through something outside
   * both? The walk is over kernels, not nodes: a kernel runs after all of its inputs and before
   * every user of any of its outputs, so reaching one member of a kernel reaches all of them.
   * Only units placed strictly between the two can be on such a path. Two walks take turns, one
   * forward from `from`, one backward from `to`; either running dry proves there is no path, so
   * the cost is about twice the smaller side (a forward value read by its gradient op has a long
   * forward side and a short backward one). The answer names a node outside both whose result
   * `to` reads (the forward walk's last step, or where the backward walk's branch began).
   */
  const pathOutside = (from: Set<Node>, to: Set<Node>): Node | undefined => {
    const limit = posOf(to);
    const floor = posOf(from);
    if (floor > limit) return undefined;
    const seen = new Set<Node>();
    const stack: Node[] = [];
    const push = (u: Node | "out") => {
      if (u === "out" || from.has(u) || seen.has(u) || pos.get(u)! > limit) return;
      for (const m of unitOf(u)) if (!seen.has(m)) seen.add(m), stack.push(m);
    };
    for (const n of from) for (const v of n.outputs) for (const u of env.users(v)) if (u === "out" || !to.has(u)) push(u);
    // backward: producers of `to` outside both, each remembering which of them its branch began at
    const origin = new Map<Node, Node>();
    const back: Node[] = [];
    const pushBack = (d: Node, o: Node) => {
      if (to.has(d) || from.has(d) || origin.has(d) || pos.get(d)! < floor) return;
      for (const m of unitOf(d)) if (!origin.has(m)) origin.set(m, o), back.push(m);
    };
    for (const n of to) for (const v of n.inputs) if (v.def) pushBack(v.def, v.def);
    while (stack.length && back.length) {
      const n = stack.pop()!;
      for (const v of n.outputs) {
        for (const u of env.users(v)) {
          if (u !== "out" && to.has(u)) return n;
          push(u);
        }
      }
      const m = back.pop()!;
      for (const v of m.inputs) {
        if (!v.def) continue;
        if (from.has(v.def)) return origin.get(m)!;
        pushBack(v.def, origin.get(m)!);
      }
    }
    return undefined;
  };

  /**
   * Keeps `pos` topological when A and B (no path between them outside both) become one unit
   * (Pearce and Kelly's reordering, on the window between them): with A first, the units in the
   * window that reach B move to its front in their order, the merged unit follows, and the units
   * A reaches move to its back. None is both (that would be a path outside), ancestors only move
   * earlier and descendants only later, and units outside the window keep their places.
   */
  const reorder = (A: Set<Node>, B: Set<Node>, M: Set<Node>): void => {
    const [lo, hi] = posOf(A) < posOf(B) ? [A, B] : [B, A];
    const pLo = posOf(lo);
    const pHi = posOf(hi);
    const walk = (start: Set<Node>, next: (n: Node) => Iterable<Node>, inWindow: (p: number) => boolean): Set<Node>[] => {
      const found = new Map<Node, Set<Node>>();
      const stack = [...start];
      while (stack.length) {
        for (const u of next(stack.pop()!)) {
          if (start.has(u) || M.has(u) || found.has(u) || !inWindow(pos.get(u)!)) continue;
          const unit = new Set(unitOf(u));
          for (const m of unit) found.set(m, unit), stack.push(m);
        }
      }
      return [...new Set(found.values())].sort((p, q) => posOf(p) - posOf(q));
    };
    const users = function* (n: Node): Iterable<Node> {
      for (const v of n.outputs) for (const u of env.users(v)) if (u !== "out") yield u;
    };
    const producers = function* (n: Node): Iterable<Node> {
      for (const v of n.inputs) if (v.def) yield v.def;
    };
    const before = walk(hi, producers, (p) => p > pLo && p < pHi);
    const after = walk(lo, users, (p) => p > pLo && p < pHi);
    const slots = [pLo, pHi, ...before.map(posOf), ...after.map(posOf)].sort((p, q) => p - q);
    const place = (unit: Iterable<Node>, p: number) => {
      for (const m of unit) pos.set(m, p);
    };
    before.forEach((u, i) => place(u, slots[i]!));
    place(M, slots[before.length]!);
    after.forEach((u, i) => place(u, slots[slots.length - after.length + i]!));
  };

  const merges: string[] = [];
  const refusals = new Map<string, string>();
  const cands = candidates(g.nodes, groupable, env.users);
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of cands) {
      const A = groupOf.get(c.a)!;
      const B = groupOf.get(c.b)!;
      if (A === B) continue;
      const key = `${label(c.a)} + ${label(c.b)}`;
      const via = pathOutside(A, B) ?? pathOutside(B, A);
      if (via) {
        refusals.set(key, `a path runs through ${label(via)}, which is outside both kernels${roleOf(via) === "view" ? " (a view of a computed value ends a kernel)" : ""}`);
        continue;
      }
      const merged = sorted([...A, ...B]);
      const verdict = shapeOf(merged, env);
      if (!verdict.ok) {
        refusals.set(key, verdict.reason);
        continue;
      }
      const M = new Set(merged);
      reorder(A, B, M);
      for (const n of M) groupOf.set(n, M);
      refusals.delete(key);
      merges.push(`${c.how === "vertical" ? "fused" : "fused siblings"} ${key} -> ${verdict.shape.kind} kernel on ${typeStrOf(verdict.shape)}`);
      changed = true;
    }
  }
  // a refusal only matters if the two still ended up apart
  const byKey = new Map<string, (typeof cands)[number]>();
  for (const k of cands) {
    const key = `${label(k.a)} + ${label(k.b)}`;
    if (refusals.has(key) && !byKey.has(key)) byKey.set(key, k);
  }
  const apart = [...refusals].filter(([key]) => {
    const c = byKey.get(key)!;
    return groupOf.get(c.a) !== groupOf.get(c.b);
  });
  const kernels: PlannedKernel[] = [];
  const done = new Set<Set<Node>>();
  for (const n of g.nodes) {
    const s = groupOf.get(n);
    if (!s || done.has(s)) continue;
    done.add(s);
    const nodes = sorted(s);
    const v = shapeOf(nodes, env);
    if (!v.ok) throw new Error(`fusion: planned kernel became illegal: ${v.reason}`);
    kernels.push({ nodes, shape: v.shape });
  }
  return { kernels, merges, refusals: apart.map(([k, r]) => `not fused ${k}: ${r}`), names };
}

const typeStrOf = (s: GroupShape): string => (s.kind === "elementwise" ? `[${s.domain.join(",")}]` : `[${s.domain.join(",")}] -> [${s.out.join(",")}]`);

/** A readable kernel name from its ops ("matmul_add_relu"); never used for decisions. */
export function kernelName(nodes: readonly Node[]): string {
  const ops: string[] = [];
  for (const n of nodes) if (roleOf(n) !== "splat" && ops[ops.length - 1] !== n.op) ops.push(n.op);
  return ops.length > 4 ? `${ops.slice(0, 4).join("_")}_${ops.length - 4}more` : ops.join("_");
}

/**
 * Builds the fused graph: each planned kernel becomes one `fusion` node whose body holds its ops,
 * the splat constants they use (copied in), and the views (broadcast_to, unit reshape) of its
 * inputs; the rest is copied. Kernels are placed in a topological order of the kernel graph
 * (ties by position of their first op).
 */
export function buildFused(g: Graph, plan: FusionPlan): Graph {
  const kernelOf = new Map<Node, PlannedKernel>();
  for (const k of plan.kernels) for (const n of k.nodes) kernelOf.set(n, k);
  // units of scheduling: a kernel, or a node outside every kernel
  type Unit = { kernel?: PlannedKernel; node?: Node; first: number };
  const index = new Map(g.nodes.map((n, i) => [n, i]));
  const units: Unit[] = [];
  const unitOf = new Map<Node, Unit>();
  for (const n of g.nodes) {
    const k = kernelOf.get(n);
    if (k && unitOf.has(k.nodes[0]!)) {
      unitOf.set(n, unitOf.get(k.nodes[0]!)!);
      continue;
    }
    const u: Unit = k ? { kernel: k, first: index.get(n)! } : { node: n, first: index.get(n)! };
    units.push(u);
    unitOf.set(n, u);
  }
  // Kahn's algorithm over units, smallest first position first: deterministic and close to the original order
  const deps = new Map<Unit, Set<Unit>>(units.map((u) => [u, new Set()]));
  const dependents = new Map<Unit, Unit[]>(units.map((u) => [u, []]));
  for (const n of g.nodes) {
    for (const v of n.inputs) {
      if (!v.def) continue;
      const from = unitOf.get(v.def)!;
      const to = unitOf.get(n)!;
      if (from === to || deps.get(to)!.has(from)) continue;
      deps.get(to)!.add(from);
      dependents.get(from)!.push(to);
    }
  }
  const waiting = new Map<Unit, number>(units.map((u) => [u, deps.get(u)!.size]));
  const ready = new MinHeap<Unit>((p, q) => p.first - q.first);
  for (const u of units) if (waiting.get(u) === 0) ready.push(u);
  const schedule: Unit[] = [];
  while (ready.size > 0) {
    const next = ready.pop();
    schedule.push(next);
    for (const d of dependents.get(next)!) {
      const w = waiting.get(d)! - 1;
      waiting.set(d, w);
      if (w === 0) ready.push(d);
    }
  }
  if (schedule.length < units.length) {
    const placed = new Set(schedule);
    const stuck = units.filter((u) => !placed.has(u)).map((u) => (u.node ? u.node.op : kernelName(u.kernel!.nodes)) + "<-" + [...deps.get(u)!].filter((d) => !placed.has(d)).map((d) => (d.node ? d.node.op : kernelName(d.kernel!.nodes))).join(","));
    throw new Error(`fusion: the kernel graph has a cycle (a legality check missed it): ${stuck.join("; ")}`);
  }

  const b = new Builder(g.name);
  const map = new Map<Value, Value>();
  const get = (v: Value): Value => map.get(v)!;
  for (const v of g.inputs) map.set(v, b.input(v.type));
  for (const s of g.state) map.set(s.value, b.stateParam(s.value.type, s.name, s.trainable));
  // a value is used outside its kernel when a graph output, an assign or a node of another unit reads it
  const readOutside = new Set<Value>([...g.outputs, ...g.assigns.map((a) => a.value)]);
  for (const n of g.nodes) for (const v of n.inputs) if (!v.def || kernelOf.get(n) === undefined || kernelOf.get(n) !== kernelOf.get(v.def)) readOutside.add(v);
  const usedOutside = (_k: PlannedKernel, v: Value): boolean => readOutside.has(v);
  for (const u of schedule) {
    if (u.node) {
      const n = u.node;
      b.loc = n.loc;
      b.emitMulti(n.op, n.inputs.map(get), n.attrs as never, n.loc, n.body).forEach((o, i) => map.set(n.outputs[i]!, o));
      continue;
    }
    const k = u.kernel!;
    const members = new Set(k.nodes);
    const body = new Builder(kernelName(k.nodes));
    const inner = new Map<Value, Value>();
    const outerIns: Value[] = [];
    const bodyInputs = new Set<Value>();
    /**
     * The body's version of v: a member's result, a copied splat, a view of an input, or a new
     * input. A matmul's operands are always plain inputs (`asInput`): its loop reads them in tiles.
     */
    const bodyValue = (v: Value, asInput = false): Value => {
      const hit = inner.get(v);
      if (hit && (!asInput || bodyInputs.has(hit))) return hit;
      const d = v.def;
      let r: Value;
      const role = d && !asInput ? roleOf(d) : "opaque";
      if (d && role === "splat") r = body.emit(d.op, [], d.attrs as never);
      else if (d && role === "view") r = body.emit(d.op, [bodyValue(d.inputs[0]!)], d.attrs as never);
      else {
        r = body.input(v.type);
        bodyInputs.add(r);
        outerIns.push(get(v));
      }
      inner.set(v, r);
      return r;
    };
    // a matmul kernel's body starts with its matmul (its operands are inputs, so nothing need precede it)
    const ordered = k.shape.kind === "matmul" ? [...k.nodes.filter((n) => roleOf(n) === "matmul"), ...k.nodes.filter((n) => roleOf(n) !== "matmul")] : k.nodes;
    for (const n of ordered) {
      body.loc = n.loc;
      const tiled = roleOf(n) === "matmul";
      const outs = body.emitMulti(n.op, n.inputs.map((v) => (v.def && members.has(v.def) ? inner.get(v)! : bodyValue(v, tiled))), n.attrs as never, n.loc);
      n.outputs.forEach((o, i) => inner.set(o, outs[i]!));
    }
    const exported = k.nodes.flatMap((n) => n.outputs.filter((v) => usedOutside(k, v)));
    body.output(...exported.map((v) => inner.get(v)!));
    const attrs = { kind: k.shape.kind satisfies FusionKind, name: kernelName(k.nodes) };
    b.loc = k.nodes.find((n) => n.loc)?.loc;
    const bodyGraph = body.finish();
    madeByFusion.add(bodyGraph);
    const outs = b.emitMulti("fusion", outerIns, attrs, b.loc, bodyGraph);
    exported.forEach((v, i) => map.set(v, outs[i]!));
  }
  b.loc = undefined;
  b.output(...g.outputs.map(get));
  for (const a of g.assigns) b.assign(get(a.state), get(a.value));
  return eliminateDeadCode(b.finish());
}

/** Bodies this pass built (a graph may arrive with hand-made regions, which it passes through as they are). */
const madeByFusion = new WeakSet<Graph>();

/** Throws a VerifyError naming the first fusion node of `g` that breaks the kernel contract (see kernelProblem). */
export function checkFused(g: Graph, which: (n: Node) => boolean = () => true): Graph {
  for (const n of g.nodes) {
    if (n.op !== "fusion" || !which(n)) continue;
    const why = kernelProblem(n);
    if (why) throw new VerifyError(`fusion contract: kernel "${String(n.attrs["name"])}": ${why}`);
  }
  return g;
}

/** Fusion as a pass; the plan's decisions go to `ctx.notes.fuse` for `explain`. */
export const fuse: Pass = {
  name: "fuse",
  description: "group elementwise chains, reductions with their producers and consumers, and matmul epilogues into kernels",
  run: (g: Graph, ctx: PassContext) => {
    const plan = planFusion(g, ctx.options);
    ctx.notes.set("fuse", [...plan.merges, ...plan.refusals]);
    const out = buildFused(g, plan);
    return ctx.options.verify ? checkFused(out, (n) => !!n.body && madeByFusion.has(n.body)) : out;
  },
};
