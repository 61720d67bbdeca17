/** @file The DSL's ops as free functions, tfjs-style signatures; each is also a Tensor method (see methods.ts). */
import { checkShape, normAxes, normAxis, parseDType, ShapeError, shapeStr, showValue, sizeOf, UsageError, withLoc, type OpName } from "../ir/index.js";
import { Tensor } from "./tensor.js";
import { apply, type TensorLike } from "./apply.js";
import type { DTypeName } from "./create.js";
import { userLoc } from "./loc.js";

/** Runs an argument check; its error gets the user's line (checks run before `apply` adds it). */
export function located<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw withLoc(e, userLoc());
  }
}
const axesArg = (axis: unknown, rank: number, op: string): number[] => located(() => normAxes(axis as number, rank, op));
const axisArg = (axis: unknown, rank: number, op: string): number => located(() => normAxis(axis as number, rank, op));
const shapeArg = (shape: unknown, op: string): number[] => located(() => checkShape(shape, op));
/** Free functions can be handed anything; methods always have a Tensor `this`. */
export function tensorArg(x: unknown, op: string, what = "x"): Tensor {
  if (!(x instanceof Tensor)) throw new UsageError(`${op}: ${what} must be a tensor, got ${showValue(x)}`, userLoc());
  return x;
}
const ints = (v: unknown, op: string, what: string): number[] => {
  if (!Array.isArray(v) || !v.every(Number.isInteger)) throw new ShapeError(`${op}: ${what} must be a list of integers, got ${showValue(v)}`, userLoc());
  return v as number[];
};

const un = (op: OpName) => (x: Tensor): Tensor => apply(op, [x]);
const bin = (op: OpName) => (a: TensorLike, b: TensorLike): Tensor => apply(op, [a, b]);

export const neg = un("neg"), exp = un("exp"), log = un("log"), sqrt = un("sqrt"), rsqrt = un("rsqrt");
export const square = un("square"), abs = un("abs"), sign = un("sign"), tanh = un("tanh"), sigmoid = un("sigmoid");
export const relu = un("relu"), sin = un("sin"), cos = un("cos"), log1p = un("log1p"), expm1 = un("expm1"), floor = un("floor");
export const logicalNot = un("logical_not");
export const stopGradient = un("stop_gradient");

export const add = bin("add"), sub = bin("sub"), mul = bin("mul"), div = bin("div"), pow = bin("pow");
export const maximum = bin("maximum"), minimum = bin("minimum");
export const equal = bin("equal"), notEqual = bin("not_equal"), less = bin("less"), lessEqual = bin("less_equal");
export const greater = bin("greater"), greaterEqual = bin("greater_equal");
export const logicalAnd = bin("logical_and"), logicalOr = bin("logical_or");

/** `cond ? a : b` elementwise, with broadcasting. */
export const where = (cond: Tensor, a: TensorLike, b: TensorLike): Tensor => apply("where", [cond, a, b]);
export const cast = (x: Tensor, dtype: DTypeName): Tensor => {
  const d = located(() => parseDType(dtype));
  return d === tensorArg(x, "cast").dtype ? x : apply("cast", [x], { dtype: d });
};

type Axis = number | readonly number[];
const reducer = (op: "sum" | "mean" | "max" | "min" | "prod") => (x: Tensor, axis?: Axis, keepDims = false): Tensor => {
  const axes = axesArg(axis, tensorArg(x, op).rank, op);
  return axes.length === 0 && !keepDims ? x : apply(op, [x], { axes, keepDims });
};
/** Reductions follow tfjs: `(x, axis?, keepDims?)`, axis a number or a list; all axes by default. */
export const sum = reducer("sum"), mean = reducer("mean"), max = reducer("max"), min = reducer("min"), prod = reducer("prod");
export const argmax = (x: Tensor, axis = -1): Tensor => apply("argmax", [x], { axis: axisArg(axis, tensorArg(x, "argmax").rank, "argmax") });
export const argMax = argmax;

export function matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  tensorArg(a, "matmul", "a");
  tensorArg(b, "matmul", "b");
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`matmul: both operands need rank >= 2, got ${a.dtype}${shapeStr(a.shape)} x ${b.dtype}${shapeStr(b.shape)} (reshape vectors to [1,n] or [n,1])`, userLoc());
  return apply("matmul", [a, b], { transposeA, transposeB });
}
export const matMul = matmul;

/** Reshape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  tensorArg(x, "reshape");
  if (!Array.isArray(shape) || !shape.every((d) => d === -1 || (Number.isInteger(d) && d >= 0))) {
    throw new ShapeError(`reshape: a shape must be a list of non-negative integers (one may be -1), got ${showValue(shape)}`, userLoc());
  }
  const known = shape.filter((d) => d !== -1);
  const holes = shape.length - known.length;
  let s = [...shape];
  if (holes > 1) throw new ShapeError(`reshape: at most one -1 allowed in ${shapeStr(shape)}`, userLoc());
  if (holes === 1) {
    const k = sizeOf(known);
    if (k === 0 || x.size % k !== 0) throw new ShapeError(`reshape: cannot reshape ${x.dtype}${shapeStr(x.shape)} to ${shapeStr(shape)}`, userLoc());
    s = shape.map((d) => (d === -1 ? x.size / k : d));
  }
  return s.length === x.rank && s.every((d, i) => d === x.shape[i]) ? x : apply("reshape", [x], { shape: s });
}

/** Transpose by `perm` (default: reverse the axes). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  tensorArg(x, "transpose");
  const p = perm !== undefined ? ints(perm, "transpose", "perm").map((a) => axisArg(a, x.rank, "transpose")) : x.shape.map((_, i) => x.rank - 1 - i);
  return p.every((a, i) => a === i) ? x : apply("transpose", [x], { perm: p });
}

export const broadcastTo = (x: Tensor, shape: readonly number[]): Tensor => apply("broadcast_to", [x], { shape: shapeArg(shape, "broadcastTo") });

export function expandDims(x: Tensor, axis = 0): Tensor {
  const a = axisArg(axis, tensorArg(x, "expandDims").rank + 1, "expandDims");
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/** Removes size-1 axes (all of them, or the listed ones, which must be size 1). */
export function squeeze(x: Tensor, axis?: Axis): Tensor {
  const axes = axis === undefined ? tensorArg(x, "squeeze").shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axesArg(axis, tensorArg(x, "squeeze").rank, "squeeze");
  for (const a of axes) if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${shapeStr(x.shape)} is not size 1`, userLoc());
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
}

export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new UsageError("concat: pass a non-empty array of tensors", userLoc());
  tensors.forEach((t, i) => tensorArg(t, "concat", `tensors[${i}]`));
  if (tensors.length === 1) return tensors[0]!;
  return apply("concat", tensors, { axis: axisArg(axis, tensors[0]!.rank, "concat") });
}
export const stack = (tensors: readonly Tensor[], axis = 0): Tensor => {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new UsageError("stack: pass a non-empty array of tensors", userLoc());
  return concat(tensors.map((t, i) => expandDims(tensorArg(t, "stack", `tensors[${i}]`), axis)), axis);
};

/** tfjs slice: `size` entries of -1 mean "to the end"; missing trailing entries take everything. */
export function slice(x: Tensor, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  tensorArg(x, "slice");
  const b = typeof begin === "number" ? [begin] : ints(begin, "slice", "begin");
  const s = size === undefined ? [] : typeof size === "number" ? [size] : ints(size, "slice", "size");
  const fullBegin = x.shape.map((_, i) => b[i] ?? 0);
  const fullSize = x.shape.map((d, i) => (s[i] === undefined || s[i] === -1 ? d - fullBegin[i]! : s[i]!));
  if (fullBegin.every((v) => v === 0) && fullSize.every((v, i) => v === x.shape[i])) return x;
  return apply("slice", [x], { begin: fullBegin, size: fullSize });
}

/** Zero padding, tfjs style: `paddings[i] = [before, after]`. */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[]): Tensor {
  if (!Array.isArray(paddings) || !paddings.every((p) => Array.isArray(p) && p.length === 2)) {
    throw new ShapeError(`pad: paddings must be a list of [before, after] pairs, got ${showValue(paddings)}`, userLoc());
  }
  return apply("pad", [x], { before: paddings.map((p) => p[0]), after: paddings.map((p) => p[1]) });
}

export const gather = (x: Tensor, indices: Tensor, axis = 0): Tensor =>
  apply("gather", [x, tensorArg(indices, "gather", "indices")], { axis: axisArg(axis, tensorArg(x, "gather").rank, "gather") });

/** Clips to [lo, hi]. */
export const clipByValue = (x: Tensor, lo: number, hi: number): Tensor => minimum(maximum(x, lo), hi);
