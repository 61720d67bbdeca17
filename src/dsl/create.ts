/** @file Making tensors: from data, filled, iota, and seeded counter-based random numbers. */
import { checkShape, constAttrs, flattenNested, GraftError, nd, parseDType, ShapeError, shapeStr, sizeOf, UsageError, type DType } from "../ir/index.js";
import { Tensor } from "./tensor.js";
import { apply } from "./apply.js";
import { userLoc } from "./loc.js";
import { located } from "./ops.js";

/** The first leaf of a nested array (decides bool vs number data). */
const firstLeaf = (x: unknown): unknown => (Array.isArray(x) ? firstLeaf(x[0]) : x);

export type DTypeName = DType | "float32" | "float64" | "int32";
type Typed = Float32Array | Float64Array | Int32Array | Uint8Array;
export type TensorInit = Tensor | number | boolean | Typed | readonly unknown[];

const typedDType = (a: Typed): DType => (a instanceof Float64Array ? "f64" : a instanceof Int32Array ? "i32" : a instanceof Uint8Array ? "bool" : "f32");

/** A tensor from nested arrays, a typed array (with `shape`), or a number. Default dtype f32 (i32 for Int32Array). */
export function tensor(data: TensorInit, shape?: readonly number[], dtype?: DTypeName): Tensor {
  if (data instanceof Tensor) return dtype && parseDType(dtype) !== data.dtype ? apply("cast", [data], { dtype: parseDType(dtype) }) : data;
  let flat: ArrayLike<number>;
  let inferred: number[];
  let dt: DType;
  if (typeof data === "number" || typeof data === "boolean") {
    flat = [Number(data)];
    inferred = [];
    dt = typeof data === "boolean" ? "bool" : "f32";
  } else if (ArrayBuffer.isView(data)) {
    flat = data;
    inferred = [data.length];
    dt = typedDType(data);
  } else if (Array.isArray(data)) {
    let f;
    try {
      f = flattenNested(data);
    } catch {
      throw new ShapeError("tensor(): nested arrays are ragged (every row must have the same length)", userLoc());
    }
    if (f.data.some((v) => typeof v !== "number" && typeof v !== "boolean")) throw new GraftError("tensor(): data must be numbers or booleans", "usage", userLoc());
    flat = f.data;
    inferred = f.shape;
    // flattenNested turns booleans into 0/1, so look at the data as given
    dt = typeof firstLeaf(data) === "boolean" ? "bool" : "f32";
  } else {
    throw new UsageError(`tensor(): cannot make a tensor from ${typeof data}`, userLoc());
  }
  if (dtype !== undefined) dt = located(() => parseDType(dtype));
  const s = shape !== undefined ? located(() => checkShape(shape, "tensor()")) : inferred;
  if (sizeOf(s) !== flat.length && !(flat.length === 1 && shape)) {
    throw new ShapeError(`tensor(): ${flat.length} values do not fill shape ${shapeStr(s)}`, userLoc());
  }
  return new Tensor({ nd: nd(dt, s, flat) });
}

/** Converts anything tensor-like; a Tensor passes through (cast when `dtype` differs). */
export const toTensor = (x: TensorInit, dtype?: DTypeName): Tensor => tensor(x, undefined, dtype);

export const scalar = (v: number, dtype: DTypeName = "f32"): Tensor => tensor(v, [], dtype);

/** `value` everywhere; inside a step this is a constant node, not captured data. */
export function fill(shape: readonly number[], value: number, dtype: DTypeName = "f32"): Tensor {
  if (typeof value !== "number") throw new UsageError(`fill: the value must be a number, got ${typeof value}`, userLoc());
  return apply("const", [], constAttrs(located(() => parseDType(dtype)), located(() => checkShape(shape, "fill")), [value]));
}
export const zeros = (shape: readonly number[], dtype: DTypeName = "f32"): Tensor => fill(shape, 0, dtype);
export const ones = (shape: readonly number[], dtype: DTypeName = "f32"): Tensor => fill(shape, 1, dtype);
export const zerosLike = (t: Tensor): Tensor => fill(t.shape, 0, t.dtype);
export const onesLike = (t: Tensor): Tensor => fill(t.shape, 1, t.dtype);

/** Values 0..n-1 along `axis`, broadcast over `shape`. */
export const iota = (shape: readonly number[], axis = 0, dtype: DTypeName = "i32"): Tensor =>
  apply("iota", [], { shape: located(() => checkShape(shape, "iota")), axis, dtype: located(() => parseDType(dtype)) });
/** 0, 1, ..., n-1. */
export const range = (n: number, dtype: DTypeName = "i32"): Tensor => iota([n], 0, dtype);

export interface RandomOptions {
  /** A number, or an i32[2] key tensor (e.g. computed from a step counter inside a step). */
  readonly seed?: number | Tensor;
  readonly dtype?: DTypeName;
}

function checkOpts(opts: unknown, op: string): void {
  if (typeof opts !== "object" || opts === null) throw new UsageError(`${op}: options must be an object, got ${opts === null ? "null" : typeof opts}`, userLoc());
}

function keyOf(seed: number | Tensor | undefined): Tensor {
  if (seed instanceof Tensor) {
    if (seed.dtype !== "i32" || seed.shape.length !== 1 || seed.shape[0] !== 2) throw new ShapeError(`random: a key tensor must be i32[2], got ${seed.dtype}${shapeStr(seed.shape)}`, userLoc());
    return seed;
  }
  const s = seed ?? Math.floor(Math.random() * 2 ** 31);
  return tensor([s | 0, Math.floor(s / 2 ** 32) | 0], [2], "i32");
}

/** Normal(mean, stddev) numbers, reproducible from the seed on every backend. */
export function randomNormal(shape: readonly number[], opts: RandomOptions & { mean?: number; stddev?: number } = {}): Tensor {
  checkOpts(opts, "randomNormal");
  const z = apply("random_normal", [keyOf(opts.seed)], { shape: located(() => checkShape(shape, "randomNormal")), dtype: located(() => parseDType(opts.dtype ?? "f32")) });
  const { mean = 0, stddev = 1 } = opts;
  const scaled = stddev === 1 ? z : apply("mul", [z, stddev]);
  return mean === 0 ? scaled : apply("add", [scaled, mean]);
}

/** Uniform numbers in [minval, maxval), reproducible from the seed on every backend. */
export function randomUniform(shape: readonly number[], opts: RandomOptions & { minval?: number; maxval?: number } = {}): Tensor {
  checkOpts(opts, "randomUniform");
  const u = apply("random_uniform", [keyOf(opts.seed)], { shape: located(() => checkShape(shape, "randomUniform")), dtype: located(() => parseDType(opts.dtype ?? "f32")) });
  const { minval = 0, maxval = 1 } = opts;
  const scaled = maxval - minval === 1 ? u : apply("mul", [u, maxval - minval]);
  return minval === 0 ? scaled : apply("add", [scaled, minval]);
}
