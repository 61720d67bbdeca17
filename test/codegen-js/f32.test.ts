/** @file The js backend keeps the interpreter's float32 semantics: every f32 value is rounded to f32 after every op (issue 14 item 6). */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { fn, tensor, exp, neg, type Tensor } from "../../src/index.js";

tf.setBackend("cpu");
const BACKENDS = ["interp", "js", "tfjs"] as const;
const on = (backend: string, f: (...x: Tensor[]) => Tensor, ...args: Tensor[]): number[] => Array.from((fn(f, { backend })(...args) as Tensor).dataSync());

describe("f32 chains round after every op on every backend", () => {
  it("(x + 1e8) - 1e8 at [100, 1.5] is [96, 0] (tfjs: the same)", () => {
    const f = (x: Tensor) => x.add(1e8).sub(1e8);
    const want = Array.from(tf.sub(tf.add(tf.tensor([100, 1.5]), 1e8), 1e8).dataSync());
    expect(want).toEqual([96, 0]);
    for (const b of BACKENDS) expect(on(b, f, tensor([100, 1.5])), b).toEqual(want);
  });

  it("exp(x) * exp(-x) at 100 is Inf (exp(100) overflows f32), 1 at 1", () => {
    for (const b of BACKENDS) {
      const got = on(b, (x) => exp(x).mul(exp(neg(x))), tensor([100, 1]));
      expect(got[0], b).toBe(Infinity);
      expect(got[1], b).toBeCloseTo(1, 6);
    }
  });

  it("a fused chain with a reduction in it equals the interpreter bit for bit", () => {
    // x*3 is not exact in f32 for most x; a mean over rows then feeds another op in the same kernel
    const f = (x: Tensor) => x.mul(3).div(7).sub(x.mul(3).div(7).mean(-1, true)).mul(1e4).add(0.1);
    const xs = tensor(Array.from({ length: 64 }, (_, i) => Math.sin(i) * 10 + i / 3), [8, 8]);
    expect(on("js", f, xs)).toEqual(on("interp", f, xs));
  });

  it("a long random elementwise chain equals the interpreter bit for bit", () => {
    const f = (x: Tensor, y: Tensor) => x.mul(y).add(x.div(y)).sub(y.mul(1.1)).mul(x).add(1e3).sub(1e3).square().sqrt().mul(1 / 3).add(y.abs());
    const x = tensor(Array.from({ length: 257 }, (_, i) => Math.cos(i * 1.7) * 100 + 0.1));
    const y = tensor(Array.from({ length: 257 }, (_, i) => Math.sin(i * 0.3) * 7 + 9));
    expect(on("js", f, x, y)).toEqual(on("interp", f, x, y));
  });
});
