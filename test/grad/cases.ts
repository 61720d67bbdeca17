/** @file The gradient test table: for each op, cases at several shapes (broadcasting included), with inputs
 * chosen inside the op's domain and away from its kinks, and the matching TensorFlow.js function. */
import * as tf from "@tensorflow/tfjs";
import { apply, customGradient, tensor, type Tensor } from "../../src/index.js";
import type { OpName } from "../../src/ir/index.js";

export interface GradCase {
  readonly name: string;
  /** Fresh inputs (deterministic). Non-float inputs (indices, conditions) are not differentiated. */
  readonly args: () => Tensor[];
  readonly f: (...xs: Tensor[]) => Tensor;
  /** The same function in TensorFlow.js, when tfjs can differentiate it. */
  readonly tf?: (...xs: tf.Tensor[]) => tf.Tensor;
}

/** mulberry32, so every run sees the same inputs. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let seed = 1;
/** Uniform values in [lo, hi), optionally with a random sign; f32 unless told. */
export function rand(shape: number[], lo = -1.5, hi = 1.5, opts: { signed?: boolean; dtype?: "f32" | "f64" } = {}): Tensor {
  const r = rng(seed++);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, () => (lo + (hi - lo) * r()) * (opts.signed && r() < 0.5 ? -1 : 1));
  return tensor(data, shape, opts.dtype ?? "f32");
}
const pos = (shape: number[]) => rand(shape, 0.4, 2);

const un = (op: OpName) => (x: Tensor) => apply(op, [x]);
const bin = (op: OpName) => (a: Tensor, b: Tensor) => apply(op, [a, b]);

const UNARY_SHAPES = [[], [5], [2, 3]];
const BINARY_SHAPES: [number[], number[]][] = [[[2, 3], [2, 3]], [[2, 3], [3]], [[2, 1], [1, 3]], [[], [2, 2]]];

type TfUnary = (x: tf.Tensor) => tf.Tensor;
function unary(op: OpName, tfFn: TfUnary | undefined, domain: (s: number[]) => Tensor = (s) => rand(s)): GradCase[] {
  return UNARY_SHAPES.map((s) => ({ name: `${op} [${s}]`, args: () => [domain(s)], f: un(op), ...(tfFn ? { tf: tfFn } : {}) }));
}
/** `tfBroadcasts: false`: tfjs's own gradient is wrong under broadcasting (4.22's Maximum/Minimum
 * return dy's shape for a broadcast input), so tfjs is the oracle only for same-shape cases there. */
function binary(op: OpName, tfFn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, da: (s: number[]) => Tensor = (s) => rand(s), db = da, tfBroadcasts = true): GradCase[] {
  return BINARY_SHAPES.map(([sa, sb]) => ({
    name: `${op} [${sa}] [${sb}]`, args: () => [da(sa), db(sb)], f: bin(op),
    ...(tfBroadcasts || sa.join() === sb.join() ? { tf: tfFn } : {}),
  }));
}

type Reducer = "sum" | "mean" | "max" | "min" | "prod";
const TF_REDUCE: Record<Reducer, (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor> = {
  sum: (x, a, k) => tf.sum(x, a, k), mean: (x, a, k) => tf.mean(x, a, k), max: (x, a, k) => tf.max(x, a, k),
  min: (x, a, k) => tf.min(x, a, k), prod: (x, a, k) => tf.prod(x, a, k),
};
function reduction(op: Reducer, domain: (s: number[]) => Tensor = (s) => rand(s)): GradCase[] {
  const cases: [number[], number[], boolean][] = [[[2, 3, 4], [1], false], [[2, 3, 4], [0, 2], true], [[2, 3], [0, 1], false], [[5], [0], true]];
  return cases.map(([s, axes, keepDims]) => ({
    name: `${op} [${s}] axes [${axes}]${keepDims ? " keepDims" : ""}`,
    args: () => [domain(s)],
    f: (x: Tensor) => apply(op, [x], { axes, keepDims }),
    tf: (x: tf.Tensor) => TF_REDUCE[op](x, axes, keepDims),
  }));
}

const signedAway = (s: number[]) => rand(s, 0.5, 1.5, { signed: true });
const idx = (data: number[], shape: number[]) => tensor(data, shape, "i32");

/** Every op with a VJP rule needs an entry here (the table test enforces it). */
export const GRAD_CASES: Partial<Record<OpName, GradCase[]>> = {
  neg: unary("neg", tf.neg),
  exp: unary("exp", tf.exp),
  log: unary("log", tf.log, pos),
  sqrt: unary("sqrt", tf.sqrt, pos),
  rsqrt: unary("rsqrt", tf.rsqrt, pos),
  square: unary("square", tf.square),
  abs: unary("abs", tf.abs, signedAway),
  tanh: unary("tanh", tf.tanh),
  sigmoid: unary("sigmoid", tf.sigmoid),
  relu: unary("relu", tf.relu, signedAway),
  sin: unary("sin", tf.sin),
  cos: unary("cos", tf.cos),
  log1p: unary("log1p", tf.log1p, pos),
  expm1: unary("expm1", tf.expm1),
  // zero-gradient ops with float inputs: the checker confirms the derivative really is 0 here
  sign: unary("sign", undefined, signedAway),
  floor: unary("floor", undefined, (s) => rand(s, 0.1, 0.9, { signed: true })),
  add: [...binary("add", tf.add), { name: "add f32 [2] + f64 [2] (promotes; cotangent cast back)", args: () => [rand([2]), rand([2], -1, 1, { dtype: "f64" })], f: bin("add") }],
  sub: binary("sub", tf.sub),
  mul: binary("mul", tf.mul),
  div: binary("div", tf.div, (s) => rand(s), (s) => signedAway(s)),
  pow: binary("pow", tf.pow, pos, (s) => rand(s, -1.5, 1.5)),
  maximum: binary("maximum", tf.maximum, undefined, undefined, false),
  minimum: binary("minimum", tf.minimum, undefined, undefined, false),
  where: [
    { name: "where [2,3] same shapes", args: () => [tensor([true, false, true, false, false, true], [2, 3], "bool"), rand([2, 3]), rand([2, 3])], f: (c, a, b) => apply("where", [c!, a!, b!]), tf: (c, a, b) => tf.where(c!, a!, b!) },
    { name: "where [2,3] cond [3] a [2,3] b [] (broadcast)", args: () => [tensor([true, false, true], [3], "bool"), rand([2, 3]), rand([])], f: (c, a, b) => apply("where", [c!, a!, b!]) },
  ],
  cast: [
    { name: "cast f32 -> f64", args: () => [rand([2, 3])], f: (x) => apply("cast", [x], { dtype: "f64" }) },
    { name: "cast f64 -> f32", args: () => [rand([3], -1, 1, { dtype: "f64" })], f: (x) => apply("cast", [x], { dtype: "f32" }) },
  ],
  sum: reduction("sum"),
  mean: reduction("mean"),
  max: reduction("max"),
  min: reduction("min"),
  prod: [
    ...reduction("prod", signedAway),
    // exact zeros: the product of the others, not y / x (NaN); second order too with one zero per slice
    { name: "prod [2,3] axes [1], a zero in each row", args: () => [tensor([0, 2, -1.5, 0.5, 0, 3], [2, 3])], f: (x) => apply("prod", [x], { axes: [1], keepDims: false }), tf: (x) => tf.prod(x, [1]) },
    { name: "prod [4] axes [0], one zero", args: () => [tensor([1.5, 0, -2, 0.7], [4])], f: (x) => apply("prod", [x], { axes: [0], keepDims: false }) },
  ],
  reshape: [
    { name: "reshape [2,3] -> [3,2]", args: () => [rand([2, 3])], f: (x) => apply("reshape", [x], { shape: [3, 2] }), tf: (x) => tf.reshape(x, [3, 2]) },
    { name: "reshape [6] -> [1,2,3]", args: () => [rand([6])], f: (x) => apply("reshape", [x], { shape: [1, 2, 3] }), tf: (x) => tf.reshape(x, [1, 2, 3]) },
  ],
  transpose: [
    { name: "transpose [2,3] [1,0]", args: () => [rand([2, 3])], f: (x) => apply("transpose", [x], { perm: [1, 0] }), tf: (x) => tf.transpose(x, [1, 0]) },
    { name: "transpose [2,3,4] [2,0,1]", args: () => [rand([2, 3, 4])], f: (x) => apply("transpose", [x], { perm: [2, 0, 1] }), tf: (x) => tf.transpose(x, [2, 0, 1]) },
  ],
  broadcast_to: [
    { name: "broadcast_to [3] -> [2,3]", args: () => [rand([3])], f: (x) => apply("broadcast_to", [x], { shape: [2, 3] }), tf: (x) => tf.broadcastTo(x, [2, 3]) },
    { name: "broadcast_to [2,1] -> [2,3]", args: () => [rand([2, 1])], f: (x) => apply("broadcast_to", [x], { shape: [2, 3] }), tf: (x) => tf.broadcastTo(x, [2, 3]) },
    { name: "broadcast_to [] -> [2,2]", args: () => [rand([])], f: (x) => apply("broadcast_to", [x], { shape: [2, 2] }) },
  ],
  slice: [
    { name: "slice [3,4] begin [1,1] size [2,2]", args: () => [rand([3, 4])], f: (x) => apply("slice", [x], { begin: [1, 1], size: [2, 2] }), tf: (x) => tf.slice(x, [1, 1], [2, 2]) },
    { name: "slice [5] begin [2] size [3]", args: () => [rand([5])], f: (x) => apply("slice", [x], { begin: [2], size: [3] }), tf: (x) => tf.slice(x, [2], [3]) },
  ],
  pad: [
    { name: "pad [2,3] before [1,0] after [0,2]", args: () => [rand([2, 3])], f: (x) => apply("pad", [x], { before: [1, 0], after: [0, 2] }), tf: (x) => tf.pad(x, [[1, 0], [0, 2]]) },
  ],
  concat: [
    { name: "concat [2,3] [2,1] axis 1", args: () => [rand([2, 3]), rand([2, 1])], f: (a, b) => apply("concat", [a!, b!], { axis: 1 }), tf: (a, b) => tf.concat([a!, b!], 1) },
    { name: "concat [1,2] x3 axis 0", args: () => [rand([1, 2]), rand([1, 2]), rand([1, 2])], f: (a, b, c) => apply("concat", [a!, b!, c!], { axis: 0 }), tf: (a, b, c) => tf.concat([a!, b!, c!], 0) },
  ],
  matmul: [
    ...([[false, false], [true, false], [false, true], [true, true]] as const).map(([ta, tb]) => ({
      name: `matmul [2,3]x[3,4] transposeA=${ta} transposeB=${tb}`,
      args: () => [rand(ta ? [3, 2] : [2, 3]), rand(tb ? [4, 3] : [3, 4])],
      f: (a: Tensor, b: Tensor) => apply("matmul", [a, b], { transposeA: ta, transposeB: tb }),
      tf: (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, ta, tb),
    })),
    { name: "matmul batched [2,2,3]x[2,3,2]", args: () => [rand([2, 2, 3]), rand([2, 3, 2])], f: bin("matmul"), tf: (a, b) => tf.matMul(a!, b!) },
    { name: "matmul broadcast batch [2,2,3]x[3,2]", args: () => [rand([2, 2, 3]), rand([3, 2])], f: bin("matmul") },
  ],
  gather: [
    { name: "gather [4,3] axis 0, repeated indices", args: () => [rand([4, 3]), idx([2, 0, 2], [3])], f: (x, i) => apply("gather", [x!, i!], { axis: 0 }), tf: (x, i) => tf.gather(x!, i!, 0) },
    { name: "gather [3,4] axis 1, 2-D indices", args: () => [rand([3, 4]), idx([3, 1, 1, 0], [2, 2])], f: (x, i) => apply("gather", [x!, i!], { axis: 1 }) },
  ],
  scatter_add: [
    { name: "scatter_add [3,2] into [4,2], repeated indices", args: () => [rand([3, 2]), idx([1, 3, 1], [3])], f: (u, i) => apply("scatter_add", [u!, i!], { axis: 0, size: 4 }) },
  ],
  custom_grad: [
    {
      name: "custom_grad: a*b with its true gradient written by hand",
      args: () => [rand([2, 3]), rand([3])],
      f: customGradient((a: Tensor, b: Tensor) => ({ value: a.mul(b), gradFunc: (dy: Tensor) => [dy.mul(b), dy.mul(a).sum(0)] })),
    },
  ],
};
