/** @file Shared test helpers for the training library: seeded data, closeness checks, tfjs setup. */
import * as tf from "@tensorflow/tfjs";
import { expect } from "vitest";
/** The seeded PRNG every test and bench shares (mulberry32). */
export { mulberry32 as rng } from "../../src/ir/random.js";

let ready: Promise<void> | undefined;
/** tfjs on its cpu backend (the oracle). */
export async function tfReady(): Promise<typeof tf> {
  ready ??= tf.setBackend("cpu").then(() => tf.ready());
  await ready;
  return tf;
}


/** n numbers uniform in [lo, hi). */
export function uniform(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** Element-wise |a - b| <= atol + rtol |b|, with a readable failure. */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-5, rtol = 0, what = ""): void {
  expect(a.length, `${what} length`).toBe(b.length);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) - rtol * Math.abs(b[i]!);
    if (!(err <= atol) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) expect.fail(`${what}: element ${worst}: ${a[worst]} vs ${b[worst]} (|diff| ${Math.abs(a[worst]! - b[worst]!)} > ${atol} + ${rtol}*|ref|)`);
}
