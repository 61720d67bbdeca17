/** @file Counter-based random ops: Threefry known-answer vectors, determinism, order independence, moments. */
import { describe, expect, it } from "vitest";
import { nd, type NDArray } from "../../src/ir/index.js";
import { threefry2x32 } from "../../src/ir/random.js";
import { expectRoundTrip, oneOp, runOp } from "./helpers.js";

const key = (k0: number, k1 = 0): NDArray => nd("i32", [2], [k0, k1]);
const uniform = (k: NDArray, shape: number[], dtype = "f32", f64 = false) => runOp("random_uniform", [k], { shape, dtype }, f64);
const normal = (k: NDArray, shape: number[], dtype = "f32") => runOp("random_normal", [k], { shape, dtype });

function moments(a: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i]! - mean) ** 2;
  return { mean, variance: v / a.length };
}

describe("threefry2x32", () => {
  // Random123's kat_vectors (Salmon et al.): counter, key -> output, 20 rounds
  it.each([
    [[0, 0], [0, 0], [0x6b200159, 0x99ba4efe]],
    [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
    [[0x243f6a88, 0x85a308d3], [0x13198a2e, 0x03707344], [0xc4923a9c, 0x483df7a0]],
  ])("known answer: counter %j key %j", (ctr, k, want) => {
    const out = new Uint32Array(2);
    threefry2x32(k[0]!, k[1]!, ctr[0]!, ctr[1]!, out);
    expect(Array.from(out)).toEqual(want);
  });
});

describe("random_uniform / random_normal", () => {
  it("are pure functions of the key: same key, same numbers; another key, other numbers", () => {
    const a = uniform(key(42), [64]);
    expect(Array.from(uniform(key(42), [64]).data)).toEqual(Array.from(a.data));
    const b = uniform(key(43), [64]);
    expect(Array.from(b.data)).not.toEqual(Array.from(a.data));
    expect(Array.from(uniform(key(42, 1), [64]).data)).not.toEqual(Array.from(a.data));
  });

  it("element i depends only on (key, i): a shape's numbers are a prefix of a bigger one's, whatever the shape", () => {
    const big = uniform(key(7), [4, 8]);
    const small = uniform(key(7), [5]);
    expect(Array.from(small.data)).toEqual(Array.from(big.data.slice(0, 5)));
    const n1 = normal(key(7), [2, 3]);
    const n2 = normal(key(7), [6]);
    expect(Array.from(n1.data)).toEqual(Array.from(n2.data));
  });

  it("uniform numbers are in [0, 1) and the same in f32, f64 and f64-mode (24-bit exact)", () => {
    const u = uniform(key(1), [4096]);
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u.data)).toBeLessThan(1);
    expect(Array.from(uniform(key(1), [4096], "f64").data)).toEqual(Array.from(u.data));
    expect(Array.from(uniform(key(1), [4096], "f32", true).data)).toEqual(Array.from(u.data));
  });

  it("uniform moments: mean 1/2, variance 1/12 (within 5 standard errors)", () => {
    const n = 20000;
    const { mean, variance } = moments(uniform(key(2024), [n]).data);
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / n));
  });

  it("normal moments: mean 0, variance 1, about 68.3% within one sigma, finite", () => {
    const n = 20000;
    const z = normal(key(99), [n], "f64").data;
    const { mean, variance } = moments(z);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    let inside = 0;
    for (const v of z) {
      expect(Number.isFinite(v)).toBe(true);
      if (Math.abs(v) < 1) inside++;
    }
    expect(Math.abs(inside / n - 0.6827)).toBeLessThan(5 * Math.sqrt(0.6827 * 0.3173 / n));
  });

  it("keys must be i32[2]; dtypes must be float", () => {
    expect(() => runOp("random_uniform", [nd("i32", [3], [1, 2, 3])], { shape: [2] })).toThrow("random_uniform: key must be i32[2], got i32[3]");
    expect(() => runOp("random_normal", [key(1)], { shape: [2], dtype: "i32" })).toThrow("random_normal: dtype must be f32 or f64, got i32");
  });

  it("round-trips through text and JSON", () => {
    expectRoundTrip(oneOp("random_normal", [key(3)], { shape: [2, 2], dtype: "f64" }));
  });
});
