/** @file The reference MLP training step on tfjs cpu and wasm against the js backend (the interpreter until js exists), and no tensor leaks. */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initTfjs } from "../../src/index.js";
import { backendNames } from "../../src/runtime/backend.js";
import { compileMlp, makeMlp, mlpBatch, type Mlp } from "./mlp.js";

beforeAll(() => initTfjs("wasm"));

const REF = backendNames().includes("js") ? "js" : "interp";
/** The reference architecture; batch 8 instead of 128 keeps the reference run (and this test) short. */
const SIZES = [784, 256, 256, 10];
const BATCH = 8;

function train(opts: Record<string, unknown>, steps: number) {
  const m = makeMlp(SIZES);
  const step = compileMlp(m, 10, opts);
  const { x, y } = mlpBatch(BATCH, SIZES[0]!, 10);
  const losses = Array.from({ length: steps }, () => step(x, y).item());
  return { m, losses, source: step.source() };
}

function maxDiff(a: Mlp, b: Mlp): number {
  let d = 0;
  a.all.forEach((v, i) => {
    const p = v.dataSync();
    const q = b.all[i]!.dataSync();
    for (let j = 0; j < p.length; j++) d = Math.max(d, Math.abs(p[j]! - q[j]!));
  });
  return d;
}

describe(`reference MLP ${SIZES.join("-")} + Adam, 20 steps`, () => {
  const ref = () => (cached ??= train({ backend: REF }, 20));
  let cached: ReturnType<typeof train> | undefined;

  it(`learns on the ${REF} backend (the reference)`, () => {
    const { losses } = ref();
    expect(losses[19]!).toBeLessThan(losses[0]! * 0.1);
  });

  it.each(["cpu", "wasm"])("tfjs %s tracks the reference step by step", (tfjsBackend) => {
    const r = ref();
    const got = train({ backend: "tfjs", tfjsBackend }, 20);
    got.losses.forEach((l, i) => expect(Math.abs(l - r.losses[i]!), `step ${i}: ${l} vs ${r.losses[i]}`).toBeLessThan(1e-4 + 1e-3 * r.losses[i]!));
    // Adam normalizes each update to about lr (1e-3): parameters agree far below that
    expect(maxDiff(got.m, r.m)).toBeLessThan(2e-4);
    expect(got.source).toContain("tf.tidy");
    expect(got.source).toMatch(/tf\.fused\.matMul\(\{ a: in0, b: s\d+, (transposeA: false, transposeB: false, )?bias: s\d+ \}\)/);
    if (tfjsBackend === "wasm") expect(got.source).not.toMatch(/true, (true|false)\)|false, true\)/);
  });
});

describe("no tensor leaks", () => {
  const small = [32, 16, 16, 4];
  it.each(["cpu", "wasm"])("tfjs %s: tf.memory().numTensors is the same after step 5 and step 100", (tfjsBackend) => {
    const m = makeMlp(small);
    const step = compileMlp(m, 4, { backend: "tfjs", tfjsBackend });
    const { x, y } = mlpBatch(8, small[0]!, 4);
    // graft tensors in and out, alternating with tfjs tensors in and out (the caller disposes those)
    const tx = tf.tensor(x.dataSync(), x.shape);
    const ty = tf.tensor(y.dataSync(), y.shape, "int32");
    const native = compileMlp(m, 4, { backend: "tfjs", tfjsBackend, outputs: "tfjs" });
    const counts: number[] = [];
    for (let i = 1; i <= 100; i++) {
      if (i % 2) step(x, y);
      else (native(tx as never, ty as never) as unknown as tf.Tensor).dispose();
      if (i === 5 || i === 100) counts.push(tf.memory().numTensors);
    }
    expect(counts[1]).toBe(counts[0]);
    tx.dispose();
    ty.dispose();
  });
});
