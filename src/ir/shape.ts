/** @file Static shapes: sizes, strides, NumPy broadcasting and axis normalization. */
import { ShapeError } from "./errors.js";

export type Shape = readonly number[];

export const sizeOf = (s: Shape): number => s.reduce((a, b) => a * b, 1);
export const shapeStr = (s: Shape): string => `[${s.join(",")}]`;
export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Row-major strides. */
export function stridesOf(s: Shape): number[] {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i]!;
  }
  return st;
}

/** NumPy broadcasting: align on the right, size-1 axes stretch. */
export function broadcastShapes(a: Shape, b: Shape, op = "broadcast"): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast (axis ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `s` read as if broadcast to `to` (0 on stretched axes). */
export function broadcastStrides(s: Shape, to: Shape): number[] {
  const st = stridesOf(s);
  const off = to.length - s.length;
  return to.map((d, i) => (i < off || s[i - off] === 1 ? 0 : st[i - off]!));
}

/** Normalizes negative axes; checks range and duplicates; returns them sorted. */
export function normAxes(axes: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  if (typeof axes !== "number" && !Array.isArray(axes)) throw new ShapeError(`${op}: axis must be a number or a list of numbers, got ${showValue(axes)}`);
  const list = typeof axes === "number" ? [axes] : [...axes];
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new ShapeError(`${op}: axis ${showValue(a)} is out of range for rank ${rank}`);
    }
    return a < 0 ? a + rank : a;
  });
  if (new Set(out).size !== out.length) throw new ShapeError(`${op}: repeated axis in [${list.join(",")}]`);
  return out.sort((x, y) => x - y);
}

/** A user-supplied value, shown in a message without throwing (symbols, cycles, functions). */
export function showValue(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "symbol" || typeof v === "function" || typeof v === "bigint") return `a ${typeof v}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return typeof v;
  }
}

/** Checks a user-supplied shape: a list of non-negative integers. */
export function checkShape(shape: unknown, op: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: a shape must be a list of non-negative integers, got ${showValue(shape)}`);
  }
  return [...shape] as number[];
}

export function normAxis(axis: number, rank: number, op: string): number {
  return normAxes(axis, rank, op)[0]!;
}
