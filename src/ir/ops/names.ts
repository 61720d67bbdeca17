/** @file Every op's IR name and attribute type. The registry is a mapped type over this, so an op
 * named here without a complete definition (or defined without being named) does not compile. */
import type { DType } from "../dtype.js";

export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}
export interface MatmulAttrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}
export interface ConstAttrs {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** One value (splatted) or one per element, row-major. */
  readonly value: readonly number[];
}
export interface RandomAttrs {
  readonly dtype: DType;
  readonly shape: readonly number[];
}
type None = {};
type Shaped = { readonly shape: readonly number[] };

export interface OpAttrs {
  // elementwise unary
  neg: None; exp: None; log: None; sqrt: None; rsqrt: None; square: None; abs: None; sign: None;
  tanh: None; sigmoid: None; relu: None; sin: None; cos: None; log1p: None; expm1: None; floor: None;
  logical_not: None;
  // elementwise binary
  add: None; sub: None; mul: None; div: None; pow: None; maximum: None; minimum: None;
  equal: None; not_equal: None; less: None; less_equal: None; greater: None; greater_equal: None;
  logical_and: None; logical_or: None;
  where: None; cast: { readonly dtype: DType };
  // reductions
  sum: ReduceAttrs; mean: ReduceAttrs; max: ReduceAttrs; min: ReduceAttrs; prod: ReduceAttrs;
  argmax: { readonly axis: number };
  // movement
  reshape: Shaped; transpose: { readonly perm: readonly number[] }; broadcast_to: Shaped;
  slice: { readonly begin: readonly number[]; readonly size: readonly number[] };
  pad: { readonly before: readonly number[]; readonly after: readonly number[] };
  concat: { readonly axis: number };
  // contraction, indexing
  matmul: MatmulAttrs;
  gather: { readonly axis: number };
  scatter_add: { readonly axis: number; readonly size: number };
  // sources
  const: ConstAttrs;
  iota: { readonly dtype: DType; readonly shape: readonly number[]; readonly axis: number };
  random_uniform: RandomAttrs;
  random_normal: RandomAttrs;
  // autodiff barrier
  stop_gradient: None;
  // regions (a node with a body graph)
  fusion: { readonly kind: string; readonly name: string };
  // autodiff: a `gradients()` marker the grad pass expands; a value with a user-written VJP (body)
  grad: None;
  custom_grad: { readonly n: number };
}

export type OpName = keyof OpAttrs;
export type AttrsOf<K extends OpName> = OpAttrs[K];
