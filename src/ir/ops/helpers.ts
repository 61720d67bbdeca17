/** @file Shape plumbing shared by VJP rules and autodiff: summing broadcasts back, re-expanding reductions. */
import type { Builder, Value } from "../graph.js";
import { sameShape, type Shape } from "../shape.js";

/** Sums `v` (of a broadcast shape) back down to `shape`: the VJP of broadcasting. */
export function sumToShape(b: Builder, v: Value, shape: Shape): Value {
  if (sameShape(v.shape, shape)) return v;
  const lead = v.shape.length - shape.length;
  const axes: number[] = [];
  v.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const summed = axes.length ? b.emit("sum", [v], { axes, keepDims: true }) : v;
  return sameShape(summed.shape, shape) ? summed : b.emit("reshape", [summed], { shape: [...shape] });
}

/** Shape of a reduction's output with its reduced axes kept as size 1. */
export const keptShape = (inShape: Shape, axes: readonly number[]): number[] => inShape.map((d, i) => (axes.includes(i) ? 1 : d));

/** Broadcasts a reduction's result (or its cotangent) back over the reduced axes. */
export function expandReduced(b: Builder, v: Value, inShape: Shape, axes: readonly number[]): Value {
  const kept = keptShape(inShape, axes);
  const r = sameShape(v.shape, kept) ? v : b.emit("reshape", [v], { shape: kept });
  return sameShape(r.shape, inShape) ? r : b.emit("broadcast_to", [r], { shape: [...inShape] });
}
