/** @file Memory planning for the fused stage: schedule state updates last, liveness, buffer reuse, in-place writes, peak bytes.
 *
 * The plan is the backend-neutral one that `explain` and dumps print (and the pipeline's
 * schedule, which every backend runs). The js backend plans its actual arena over its own kernels
 * with the same rules (codegen/js/memory.ts), because its kernels differ from the fused nodes
 * (row-blocked matmul updates need scratch, reshapes are views); W6 in bench/RESULTS.md puts the
 * two side by side. The interpreter ignores both. Terms: a *slot* is one allocation of the arena; a value *reuses* a
 * slot whose previous value is dead; a kernel writes *in place* when an output takes the slot of
 * an input that dies at that kernel and the kernel reads that input only at the index it writes
 * (so every element is read before it is overwritten); a *state update in place* writes the new
 * value of a variable straight into the variable's own buffer.
 */
import { Graph, Namer, opDef, rebuild, sameShape, sizeOf, typeStr, type Node, type Value } from "../ir/index.js";
import type { Pass } from "./pass.js";
import { MinHeap } from "./heap.js";

const bytesOf = (v: Value): number => sizeOf(v.shape) * (v.dtype === "f64" ? 8 : v.dtype === "bool" ? 1 : 4);
/** A reshape of a dense buffer is the same bytes under another shape: an alias, never a copy. */
const isAlias = (n: Node): boolean => n.op === "reshape";
const isSource = (n: Node): boolean => opDef(n.op).kind === "source";

/**
 * Reorders a fused graph so that the kernel writing a variable's new value runs after every
 * other reader of the old value, where dependencies allow: then the update can happen in place.
 * Otherwise the order is the fused stage's (Kahn's algorithm, earliest original position first).
 */
export function scheduleStateUpdates(g: Graph): Graph {
  const pos = new Map(g.nodes.map((n, i) => [n, i]));
  const deps = new Map<Node, Set<Node>>(g.nodes.map((n) => [n, new Set(n.inputs.flatMap((v) => (v.def ? [v.def] : [])))]));
  const usersOf = new Map<Value, Node[]>();
  for (const n of g.nodes) for (const v of new Set(n.inputs)) (usersOf.get(v) ?? usersOf.set(v, []).get(v)!).push(n);
  const readers = (v: Value): Node[] => (usersOf.get(v) ?? []).flatMap((n) => (isAlias(n) ? [n, ...readers(n.outputs[0]!)] : [n]));
  const reaches = (from: Node, to: Node): boolean => {
    const seen = new Set<Node>();
    const stack = [to];
    while (stack.length) {
      const n = stack.pop()!;
      if (n === from) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      for (const d of deps.get(n)!) stack.push(d);
    }
    return false;
  };
  for (const a of g.assigns) {
    const writer = a.value.def;
    if (!writer) continue;
    for (const r of readers(a.state)) if (r !== writer && !reaches(writer, r)) deps.get(writer)!.add(r);
  }
  const dependents = new Map<Node, Node[]>(g.nodes.map((n) => [n, []]));
  for (const [n, ds] of deps) for (const d of ds) dependents.get(d)!.push(n);
  const waiting = new Map<Node, number>(g.nodes.map((n) => [n, deps.get(n)!.size]));
  const ready = new MinHeap<Node>((p, q) => pos.get(p)! - pos.get(q)!);
  for (const n of g.nodes) if (waiting.get(n) === 0) ready.push(n);
  const order: Node[] = [];
  while (ready.size > 0) {
    const next = ready.pop();
    order.push(next);
    for (const u of dependents.get(next)!) {
      const w = waiting.get(u)! - 1;
      waiting.set(u, w);
      if (w === 0) ready.push(u);
    }
  }
  if (order.length < g.nodes.length) throw new Error("schedule: the state-update ordering made a cycle (a reachability check missed it)");
  return order.every((n, i) => n === g.nodes[i]) ? g : rebuild(new Graph(g.name, g.inputs, g.state, order, g.outputs, g.assigns));
}

export type Placement =
  | { readonly how: "new" | "reuse"; readonly slot: number; readonly after?: Value }
  | { readonly how: "in-place"; readonly slot: number; readonly over: Value }
  | { readonly how: "state"; readonly state: string }
  | { readonly how: "alias"; readonly of: Value }
  | { readonly how: "const" };

export interface MemoryPlan {
  readonly graph: Graph;
  /** Bytes of each arena slot. */
  readonly slots: readonly number[];
  readonly placements: ReadonlyMap<Value, Placement>;
  /** Sum of the slots: what the arena allocates. */
  readonly arenaBytes: number;
  /** What every intermediate in its own buffer would take. */
  readonly unplannedBytes: number;
  /** Most bytes of intermediates alive at once. */
  readonly peakBytes: number;
  readonly inPlace: number;
  readonly stateInPlace: number;
  /** State updates that need a copy, with the reason. */
  readonly stateCopies: readonly string[];
}

/** Indices of a kernel's inputs it reads only at the index it writes `out` (safe to overwrite with it). */
function sameIndexInputs(n: Node, out: Value): Set<number> {
  const ok = new Set<number>();
  const body = n.body;
  n.inputs.forEach((v, i) => {
    if (!sameShape(v.shape, out.shape) || v.dtype !== out.dtype) return;
    if (!body) return void (opDef(n.op).kind === "elementwise" && ok.add(i));
    const bv = body.inputs[i]!;
    const users = body.nodes.filter((m) => m.inputs.includes(bv));
    // only elementwise ops whose result has the input's shape: element j is read to compute element j
    if (users.every((m) => opDef(m.op).kind === "elementwise" && sameShape(m.outputs[0]!.shape, v.shape))) {
      const reduced = body.nodes.some((m) => opDef(m.op).kind === "reduce");
      // in a reduce kernel the domain is visited in any order: only reduced-shape (post) inputs are safe
      if (!reduced || body.nodes.some((m) => opDef(m.op).kind === "reduce" && sameShape(m.outputs[0]!.shape, v.shape))) ok.add(i);
    }
  });
  return ok;
}

/** Plans buffers for every value of a fused graph (run `scheduleStateUpdates` first for in-place state). */
export function planMemory(g: Graph): MemoryPlan {
  const idx = new Map(g.nodes.map((n, i) => [n, i]));
  const END = g.nodes.length;
  const root = (v: Value): Value => (v.def && isAlias(v.def) ? root(v.def.inputs[0]!) : v);
  const lastUse = new Map<Value, number>();
  const touch = (v: Value, at: number) => lastUse.set(root(v), Math.max(lastUse.get(root(v)) ?? -1, at));
  g.nodes.forEach((n, i) => n.inputs.forEach((v) => touch(v, i)));
  for (const v of g.outputs) touch(v, END);
  for (const a of g.assigns) touch(a.value, END);
  const stateOf = new Map(g.state.map((s) => [s.value, s]));
  const assignOf = new Map<Value, Value>(g.assigns.map((a) => [a.value, a.state]));
  const lastStateRead = (s: Value): number => lastUse.get(s) ?? -1;

  const placements = new Map<Value, Placement>();
  const slots: number[] = [];
  const free: number[] = [];
  const holder = new Map<number, Value>();
  const slotOf = new Map<Value, number>();
  const stateCopies: string[] = [];
  let live = 0;
  let peak = 0;
  let unplanned = 0;
  let inPlace = 0;
  let stateInPlace = 0;
  const names = new Namer(g);
  g.nodes.forEach((n, i) => {
    const taken = new Set<number>();
    const safe = new Map(n.outputs.map((o) => [o, sameIndexInputs(n, o)]));
    for (const o of n.outputs) {
      if (isSource(n)) {
        placements.set(o, { how: "const" });
        continue;
      }
      if (isAlias(n)) {
        placements.set(o, { how: "alias", of: n.inputs[0]! });
        continue;
      }
      unplanned += bytesOf(o);
      const s = assignOf.get(o);
      if (s) {
        const reads = n.inputs.indexOf(s);
        const why =
          g.outputs.includes(o) ? "the new value is also returned (it would alias the variable)"
          : g.outputs.includes(s) ? "the old value is returned"
          : lastStateRead(s) > i ? `the old value is read later (by ${names.name(g.nodes[lastStateRead(s)]!.outputs[0]!)})`
          : reads >= 0 && !safe.get(o)!.has(reads) ? "the kernel reads the old value at other indices"
          : g.assigns.filter((a) => a.value === o).length > 1 ? "the value is assigned to several variables"
          : undefined;
        if (!why) {
          placements.set(o, { how: "state", state: stateOf.get(s)!.name });
          stateInPlace++;
          continue;
        }
        stateCopies.push(`${stateOf.get(s)!.name}: ${why}`);
      }
      // in place over an input that dies here and is read only at the index written
      const over = n.inputs.findIndex((v, k) => safe.get(o)!.has(k) && slotOf.has(root(v)) && lastUse.get(root(v)) === i && !taken.has(slotOf.get(root(v))!) && !g.outputs.includes(v));
      let slot: number;
      if (over >= 0) {
        slot = slotOf.get(root(n.inputs[over]!))!;
        placements.set(o, { how: "in-place", slot, over: n.inputs[over]! });
        inPlace++;
      } else {
        // best fit among free slots at least this big, else a new slot
        const need = bytesOf(o);
        const fit = free.filter((f) => slots[f]! >= need && !taken.has(f)).sort((p, q) => slots[p]! - slots[q]!)[0];
        if (fit !== undefined) {
          free.splice(free.indexOf(fit), 1);
          slot = fit;
          placements.set(o, { how: "reuse", slot, after: holder.get(fit)! });
        } else {
          slot = slots.push(need) - 1;
          placements.set(o, { how: "new", slot });
        }
        live += slots[slot]!;
      }
      taken.add(slot);
      slotOf.set(o, slot);
      holder.set(slot, o);
    }
    peak = Math.max(peak, live);
    // free what died here (in-place slots passed to the output stay live)
    const dying = new Set([...n.inputs, ...n.outputs].map(root).filter((v) => slotOf.has(v) && (lastUse.get(v) ?? i) <= i));
    for (const v of dying) {
      const s = slotOf.get(v)!;
      if (holder.get(s) !== v) continue;
      free.push(s);
      live -= slots[s]!;
    }
  });
  for (const a of g.assigns) if (!a.value.def) stateCopies.push(`${stateOf.get(a.state)!.name}: the new value is ${stateOf.get(a.value)?.name ?? "an input"}, not computed by a kernel`);
  return {
    graph: g, slots, placements, arenaBytes: slots.reduce((a, b) => a + b, 0), unplannedBytes: unplanned,
    peakBytes: peak, inPlace, stateInPlace, stateCopies,
  };
}

const kb = (b: number): string => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);

/** The plan as text: a summary line, then one line per value. */
export function printPlan(p: MemoryPlan): string {
  const names = new Namer(p.graph);
  const lines = [
    `memory plan @${p.graph.name}: arena ${kb(p.arenaBytes)} in ${p.slots.length} slots (each value in its own buffer: ${kb(p.unplannedBytes)}); ` +
      `peak live ${kb(p.peakBytes)}; ${p.inPlace} kernel outputs in place; ${p.stateInPlace}/${p.graph.assigns.length} state updates in place`,
  ];
  for (const n of p.graph.nodes) {
    for (const o of n.outputs) {
      const pl = p.placements.get(o)!;
      const what = `${names.name(o)}: ${typeStr(o.type)}`.padEnd(28);
      const kernel = n.op === "fusion" ? String(n.attrs["name"]) : n.op;
      const where =
        pl.how === "new" ? `slot ${pl.slot} (new, ${kb(p.slots[pl.slot]!)})`
        : pl.how === "reuse" ? `slot ${pl.slot} (reused after ${names.name(pl.after!)} died)`
        : pl.how === "in-place" ? `slot ${pl.slot} (in place over ${names.name(pl.over)})`
        : pl.how === "state" ? `state "${pl.state}" (updated in place)`
        : pl.how === "alias" ? `alias of ${names.name(pl.of)} (reshape: no copy)`
        : "constant (allocated once)";
      lines.push(`  ${what} ${kernel.padEnd(26)} -> ${where}`);
    }
  }
  for (const c of p.stateCopies) lines.push(`  state copy: ${c}`);
  return lines.join("\n");
}

/** The schedule half of memory planning as a pass (the plan itself is computed from the result). */
export const schedule: Pass = {
  name: "schedule",
  description: "order kernels so each variable's update runs after the last read of its old value",
  run: (g) => scheduleStateUpdates(g),
};
