/** @file Deterministic inputs shared by every contender: seeded PRNG, initial weights, batches. */
import { mulberry32 as prng } from "../src/ir/random.js";
/** The seeded PRNG every test and bench shares (mulberry32). */
export { prng };


/** n values uniform in [lo, hi), rounded to f32 once so every engine starts from the same bits. */
export function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = prng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

export interface MlpShape {
  batch: number;
  /** layer widths, input first, classes last: [784, 256, 256, 10] */
  sizes: number[];
}

export const MLP_FULL: MlpShape = { batch: 128, sizes: [784, 256, 256, 10] };
export const MLP_TINY: MlpShape = { batch: 8, sizes: [20, 16, 12, 10] };

export interface MlpParams {
  /** W[l] is [sizes[l], sizes[l+1]] row-major (x @ W convention) */
  W: Float32Array[];
  b: Float32Array[];
}

/** Glorot-uniform weights (limit sqrt(6 / (fanIn + fanOut))), zero biases, like Keras' defaults. */
export function mlpInit(shape: MlpShape, seed = 1): MlpParams {
  const W: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let l = 0; l + 1 < shape.sizes.length; l++) {
    const fanIn = shape.sizes[l];
    const fanOut = shape.sizes[l + 1];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    W.push(uniform(fanIn * fanOut, -limit, limit, seed * 1000 + l));
    b.push(new Float32Array(fanOut));
  }
  return { W, b };
}

export interface Batch {
  /** [batch, sizes[0]] in [0, 1) */
  x: Float32Array;
  /** [batch] integer class ids in 0..classes-1 */
  y: Int32Array;
}

export function mlpBatch(shape: MlpShape, seed = 7): Batch {
  const inDim = shape.sizes[0];
  const classes = shape.sizes[shape.sizes.length - 1];
  const x = uniform(shape.batch * inDim, 0, 1, seed);
  const r = prng(seed + 1);
  const y = new Int32Array(shape.batch);
  for (let i = 0; i < shape.batch; i++) y[i] = Math.floor(r() * classes) % classes;
  return { x, y };
}

/** The [in, out] shape of each weight, in layer order. */
export function mlpWeightShapes(shape: MlpShape): [number, number][] {
  const out: [number, number][] = [];
  for (let l = 0; l + 1 < shape.sizes.length; l++) out.push([shape.sizes[l], shape.sizes[l + 1]]);
  return out;
}

/** Exact FLOPs of one training step (multiply-adds of the matmuls count 2; elementwise ignored). */
export function mlpStepFlops(shape: MlpShape): number {
  const B = shape.batch;
  let f = 0;
  const L = shape.sizes.length - 1;
  for (let l = 0; l < L; l++) {
    const mn = shape.sizes[l] * shape.sizes[l + 1];
    f += 2 * B * mn; // forward x @ W
    f += 2 * B * mn; // dW = x^T @ dy
    if (l > 0) f += 2 * B * mn; // dx = dy @ W^T (not needed for the input layer)
  }
  return f;
}

/** Adam hyper-parameters shared by every W1 contender (tfjs defaults; eps 1e-7). */
export const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7 } as const;

/**
 * What a W1 contender's `result()` reports, so engines can be cross-checked although `run()`
 * mutates state: from the initial weights, exactly two steps; then
 * [loss of step 1, loss of step 2, f64 sum of every parameter, 3 sampled values per parameter].
 * Step 2 exercises the Adam moments and bias correction; the sums see every element.
 */
export function mlpSummary(losses: number[], params: ArrayLike<number>[]): number[] {
  const out = [...losses];
  for (const p of params) {
    let s = 0;
    for (let i = 0; i < p.length; i++) s += p[i];
    out.push(s);
  }
  for (const p of params) {
    const n = p.length;
    out.push(p[0], p[Math.floor(n / 3)], p[n - 1]);
  }
  return out;
}

/** Parameters in the canonical order every W1 contender reports: W0, b0, W1, b1, ... */
export function interleaveParams<T>(W: T[], b: T[]): T[] {
  const out: T[] = [];
  for (let l = 0; l < W.length; l++) out.push(W[l], b[l]);
  return out;
}

/** W2: the sign-agreement update's state and two gradients that alternate across runs. */
export interface SignUpdateData {
  v: Float32Array;
  pv: Float32Array;
  pg: Float32Array;
  grads: [Float32Array, Float32Array];
  lr: number;
}

export function signUpdateData(n: number, seed = 11): SignUpdateData {
  return {
    v: uniform(n, -1, 1, seed),
    pv: uniform(n, -1, 1, seed + 1),
    pg: uniform(n, -1, 1, seed + 2),
    grads: [uniform(n, -1, 1, seed + 3), uniform(n, -1, 1, seed + 4)],
    lr: 0.01,
  };
}

/** W2 result: f64 sums of the new var and previous var, plus samples of var. */
export function signUpdateSummary(v: ArrayLike<number>, pv: ArrayLike<number>): number[] {
  let sv = 0;
  let spv = 0;
  for (let i = 0; i < v.length; i++) {
    sv += v[i];
    spv += pv[i];
  }
  const n = v.length;
  return [sv, spv, v[0], v[1], v[Math.floor(n / 2)], v[n - 1]];
}
