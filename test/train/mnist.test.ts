/** @file A short run of the demo's training loop on real MNIST digits (a 2,000-digit subset, 252 steps). */
import { describe, expect, it } from "vitest";
import { runMnist } from "../../examples/mnist.js";
import { loadMnist } from "../../examples/mnist-data.js";

describe("MNIST", () => {
  it("the split is deterministic and disjoint-sized as asked", () => {
    const a = loadMnist({ train: 300, validation: 100, seed: 5 });
    const b = loadMnist({ train: 300, validation: 100, seed: 5 });
    expect(a.trainLabels).toEqual(b.trainLabels);
    expect(a.valImages.length).toBe(100 * 784);
    expect(new Set(a.trainLabels).size).toBe(10);
    expect(Math.max(...a.trainImages.subarray(0, 784))).toBeLessThanOrEqual(1);
  });

  it("a few hundred compiled steps reach accuracy far above chance", () => {
    const lines: string[] = [];
    const r = runMnist({ train: 2000, validation: 500, epochs: 4, batchSize: 32, hidden: 32, learningRate: 3e-3, log: (l) => lines.push(l), progress: false });
    expect(r.steps).toBe(4 * 63);
    const first = r.losses.slice(0, 20).reduce((a, b) => a + b, 0) / 20;
    const last = r.losses.slice(-20).reduce((a, b) => a + b, 0) / 20;
    expect(first).toBeGreaterThan(1.5); // starts near ln 10
    expect(last).toBeLessThan(0.6);
    expect(r.valAccuracy.at(-1)!).toBeGreaterThan(0.8); // chance is 0.1
    expect(r.trainAccuracy.at(-1)!).toBeGreaterThan(r.trainAccuracy[0]!);
    expect(lines.some((l) => /^Training loss at step 0: \d\.\d{4}$/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith("Validation acc:")).length).toBe(4);
  });
});
