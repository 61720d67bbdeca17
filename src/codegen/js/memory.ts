/** @file The js backend's memory plan: where every array lives, decided once per signature.
 *
 * Homes: graph inputs and state are the caller's arrays; constants are made at setup; every
 * other array is a view into a pooled ArrayBuffer. Buffers are reused by liveness (a value's
 * buffer is free after the last kernel that reads it), best fit by bytes, any dtype; an
 * elementwise kernel may write its output over an input that dies there when it reads that input
 * exactly where it writes (in place). An assigned value is computed straight into its state
 * array when nothing reads the old state afterwards (the Adam update writes `m`, `v` and `w` in
 * place); otherwise it is copied in at the end of the step.
 */
import { sizeOf, type Graph, type Value } from "../../ir/index.js";
import { BYTES } from "./text.js";

export type Home =
  | { readonly kind: "input"; readonly index: number }
  | { readonly kind: "state"; readonly index: number }
  | { readonly kind: "source" }
  | { readonly kind: "pool"; readonly buffer: number };

/** The view of one kernel the planner needs: what it reads and writes, and what may share. */
export interface PlanKernel {
  readonly ins: readonly Value[];
  readonly outs: readonly Value[];
  readonly inplace: ReadonlyArray<readonly [number, number]>;
}

export interface MemoryPlan {
  /** Home of every root value (aliases resolved by the caller). */
  readonly home: ReadonlyMap<Value, Home>;
  /** Byte size of each pooled buffer. */
  readonly buffers: readonly number[];
  /** End-of-step copies into state arrays: state index <- value. */
  readonly copies: ReadonlyArray<{ readonly state: number; readonly from: Value }>;
  /** State values read by end copies after another copy overwrote them: snapshotted at step start. */
  readonly snapshots: readonly Value[];
  /** Assigns computed in place, as "state index <- value" lines for the dump. */
  readonly inPlace: readonly number[];
}

const bytesOf = (v: Value): number => Math.ceil((sizeOf(v.shape) * BYTES[v.dtype]) / 8) * 8;

/**
 * Plans memory for kernels given with values already resolved to roots (`root`). `sources` are
 * setup-time values.
 */
export function planMemory(
  g: Graph,
  kernels: readonly PlanKernel[],
  root: (v: Value) => Value,
  sources: ReadonlySet<Value>,
  assigns: ReadonlyArray<{ readonly state: Value; readonly value: Value }> = g.assigns,
): MemoryPlan {
  const home = new Map<Value, Home>();
  g.inputs.forEach((v, index) => home.set(root(v), { kind: "input", index }));
  g.state.forEach((s, index) => home.set(s.value, { kind: "state", index }));
  for (const v of sources) if (!home.has(v)) home.set(v, { kind: "source" });

  const END = kernels.length;
  const def = new Map<Value, number>();
  const last = new Map<Value, number>();
  const readBy = new Map<Value, number[]>();
  kernels.forEach((k, i) => {
    for (const v of k.outs) def.set(root(v), i);
    for (const v of k.ins) {
      const r = root(v);
      last.set(r, Math.max(last.get(r) ?? -1, i));
      (readBy.get(r) ?? readBy.set(r, []).get(r)!).push(i);
    }
  });
  const atEnd = new Set<Value>(g.outputs.map(root));

  // assigns: in place when legal, else an end copy (whose source is then read at the end)
  const stateIndex = new Map(g.state.map((s, i) => [s.value, i]));
  const bound = new Map<Value, number>();
  const copies: { state: number; from: Value }[] = [];
  const inPlace: number[] = [];
  const pending = assigns.map((a) => ({ state: stateIndex.get(a.state)!, s: a.state, from: root(a.value) }));
  for (const a of pending) if (a.from !== a.s) atEnd.add(a.from);
  for (const a of pending) {
    if (a.from === a.s) continue; // assigning the state its own value
    const k = def.get(a.from);
    const ok = k !== undefined && !bound.has(a.from) && !atEnd.has(a.s) &&
      (readBy.get(a.s) ?? []).every((i) => i <= k) &&
      kernels[k]!.ins.every((v, i) => root(v) !== a.s || kernels[k]!.inplace.some(([p, o]) => p === i && root(kernels[k]!.outs[o]!) === a.from));
    if (ok) {
      bound.set(a.from, a.state);
      home.set(a.from, { kind: "state", index: a.state });
      inPlace.push(a.state);
    } else copies.push({ state: a.state, from: a.from });
  }
  // a copy reading a state another copy overwrites needs that state's old value saved first
  const written = new Set(copies.map((c) => c.state));
  const snapshots = [...new Set(copies.filter((c) => stateIndex.has(c.from) && written.has(stateIndex.get(c.from)!)).map((c) => c.from))];

  // the pool: walk the schedule, allocate outputs, free what dies
  const buffers: number[] = [];
  const refs: number[] = [];
  const free: number[] = [];
  const bufOf = new Map<Value, number>();
  const dies = (v: Value): number => (atEnd.has(v) ? END : last.get(v) ?? def.get(v)!);
  const take = (bytes: number): number => {
    let best = -1;
    for (const b of free) if (buffers[b]! >= bytes && (best < 0 || buffers[b]! < buffers[best]!)) best = b;
    if (best < 0) {
      buffers.push(bytes);
      refs.push(0);
      return buffers.length - 1;
    }
    free.splice(free.indexOf(best), 1);
    return best;
  };
  kernels.forEach((k, i) => {
    const taken = new Set<number>();
    k.outs.forEach((o, oi) => {
      const u = root(o);
      if (home.has(u)) return;
      let buf = -1;
      for (const [p, q] of k.inplace) {
        if (q !== oi) continue;
        const r = root(k.ins[p]!);
        const b = bufOf.get(r);
        // same element width: element i of both views must be the same bytes
        if (b === undefined || taken.has(b) || refs[b] !== 1 || dies(r) !== i || buffers[b]! < bytesOf(u) || BYTES[r.dtype] !== BYTES[u.dtype]) continue;
        if (!k.ins.every((v, pi) => root(v) !== r || k.inplace.some(([pp, qq]) => pp === pi && qq === oi))) continue;
        buf = b;
        break;
      }
      if (buf < 0) buf = take(bytesOf(u));
      taken.add(buf);
      refs[buf]!++;
      bufOf.set(u, buf);
      home.set(u, { kind: "pool", buffer: buf });
    });
    const release = (v: Value): void => {
      const b = bufOf.get(v);
      if (b === undefined || dies(v) !== i) return;
      bufOf.delete(v);
      if (--refs[b]! === 0) free.push(b);
    };
    for (const v of new Set(k.ins.map(root))) release(v);
    for (const o of k.outs) release(root(o));
  });
  return { home, buffers, copies, snapshots, inPlace };
}
