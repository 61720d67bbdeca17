/** @file The reference MLP (784-256-256-10, Adam in the DSL) on the js backend tracks the interpreter step by step. */
import { describe, expect, it } from "vitest";
import { fn, type Variable } from "../../src/index.js";
import { makeMlp, mlpBatch } from "./mlp-model.js";

function maxDiff(a: readonly Variable[], b: readonly Variable[]): number {
  let d = 0;
  a.forEach((v, i) => {
    const p = v.read().data;
    const q = b[i]!.read().data;
    for (let j = 0; j < p.length; j++) d = Math.max(d, Math.abs(p[j]! - q[j]!));
  });
  return d;
}

function trackInterpreter(batch: number, steps: number) {
  const js = makeMlp();
  const ref = makeMlp();
  const { x, y } = mlpBatch(batch);
  const fj = fn(js.step, { backend: "js" });
  const fi = fn(ref.step, { backend: "interp" });
  const losses: [number, number][] = [];
  for (let s = 0; s < steps; s++) losses.push([fj(x, y).item(), fi(x, y).item()]);
  return { js, ref, losses, fj };
}

describe("reference MLP on js vs the interpreter", () => {
  // the interpreter's naive matmul makes batch 128 slow: 20 steps at batch 8, then 2 at the reference batch
  it("20 steps at batch 8: losses and every variable track the interpreter", () => {
    const { js, ref, losses, fj } = trackInterpreter(8, 20);
    losses.forEach(([a, b], s) => expect(Math.abs(a - b), `step ${s}: js ${a} vs interpreter ${b}`).toBeLessThan(1e-5 + 1e-4 * Math.abs(b)));
    expect(losses[19]![0]).toBeLessThan(losses[0]![0] * 0.5);
    // Adam moves each weight by about lr = 1e-3 per step: agreement far below that
    expect(maxDiff([...js.params, ...js.slots, js.t], [...ref.params, ...ref.slots, ref.t])).toBeLessThan(2e-5);
    expect(fj.traces).toHaveLength(1);
  });

  it("a step at batch 128", () => {
    const { js, ref, losses, fj } = trackInterpreter(128, 1);
    losses.forEach(([a, b], s) => expect(Math.abs(a - b), `step ${s}`).toBeLessThan(1e-5 + 1e-4 * Math.abs(b)));
    expect(maxDiff(js.params, ref.params)).toBeLessThan(1e-5);
    const stats = fj.stats();
    expect(stats.backend).toBe("js");
    expect(stats.kernels).toBeGreaterThan(5);
    // the large weights and their Adam slots are updated inside the dW matmul kernels, not copied
    const src = fj.source();
    for (const name of ["w0", "w0_m", "w0_v", "w1", "w1_m", "w1_v"]) expect(src, `${name} copied at the end`).not.toContain(`// assign ${JSON.stringify(name)}`);
  });
});
