/** @file The wasm backend end to end: every op's gradient vs the interpreter, the seed optimizer's trajectory, MNIST, state shared with other backends, and errors. */
import { describe, expect, it } from "vitest";
import * as G from "../../src/index.js";
import { runMnist } from "../../examples/mnist.js";
import { SignAgreementSGD } from "../../examples/custom-optimizer.js";
import { GRAD_CASES, rand } from "../grad/cases.js";
import { wasmBackend } from "../../src/runtime/wasm.js";

const isF = (t: G.Tensor) => t.dtype === "f32" || t.dtype === "f64";
const rows = Object.entries(GRAD_CASES).flatMap(([op, cases]) => cases!.map((c) => [`${op}: ${c.name}`, c] as const));

describe("gradients on wasm equal the interpreter's, every op", () => {
  it("covers every op with a gradient case", () => {
    expect(rows.length).toBeGreaterThan(60);
  });
  it.each(rows)("%s", (_name, c) => {
    const args = c.args();
    const dy = rand(c.f(...args).shape, -1, 1);
    const grads = (...xs: G.Tensor[]) => G.gradients(c.f(...xs).mul(dy).sum(), xs.filter(isF));
    const want = G.fn(grads, { backend: "interp" })(...args) as G.Tensor[];
    const got = G.fn(grads, { backend: "wasm" })(...args) as G.Tensor[];
    expect(got.map((g) => g.shape)).toEqual(want.map((g) => g.shape));
    got.forEach((g, k) => {
      const w = want[k]!.dataSync();
      // matmul sums in f32 (the interpreter in f64); everything else agrees to a few f32 ulps
      Array.from(g.dataSync()).forEach((v, i) => expect(Math.abs(v - w[i]!), `${c.name}: gradient ${k} element ${i}: wasm ${v}, interpreter ${w[i]}`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(w[i]!)));
    });
  });
});

describe("training on wasm", () => {
  it("the seed's sign-agreement SGD follows its hand-computed trajectory", () => {
    const a = G.variable(G.tensor([1, -2]), { name: "a" });
    const opt = new SignAgreementSGD({ lr: 0.1 });
    const step = G.fn((ga: G.Tensor) => opt.applyGradients([[ga, a]]), { backend: "wasm" });
    const grads = [[1, 1], [1, -1], [-2, -1], [0, 3]];
    const want = [[0.9, -2.1], [0.8, -2.05], [0.85, -1.95], [0.85, -2.0]];
    for (let k = 0; k < 4; k++) {
      step(G.tensor(grads[k]!));
      Array.from(a.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[k]![i]!, 6));
    }
    expect(opt.iterations.item()).toBe(4);
  });

  it("MNIST: the demo's loop learns on wasm as on js (same losses to f32 rounding)", () => {
    const o = { train: 2000, validation: 500, epochs: 2, batchSize: 32, hidden: 32, learningRate: 3e-3, log: () => {}, progress: false };
    const w = runMnist({ ...o, backend: "wasm" });
    const j = runMnist({ ...o, backend: "js" });
    expect(w.backend).toBe("wasm");
    expect(w.valAccuracy.at(-1)!).toBeGreaterThan(0.8);
    const last = w.losses.slice(-20).reduce((a, b) => a + b, 0) / 20;
    expect(last).toBeLessThan(0.8);
    w.losses.forEach((l, i) => expect(Math.abs(l - j.losses[i]!), `loss at step ${i}`).toBeLessThan(1e-3));
  });

  it("state moves between wasm, js and eager code: reads, eager assigns and another backend's steps all see the latest value", () => {
    const v = G.variable(G.tensor([1, 2, 3]), { name: "v" });
    const inc = (backend: string) => G.fn((d: G.Tensor) => { v.assign(v.add(d)); return v.sum(); }, { backend });
    const w = inc("wasm");
    const j = inc("js");
    expect(w(G.tensor([1, 1, 1])).item()).toBe(9);
    expect(Array.from(v.dataSync())).toEqual([2, 3, 4]); // read while resident in wasm memory
    expect(w(G.tensor([1, 1, 1])).item()).toBe(12);
    expect(j(G.tensor([10, 0, 0])).item()).toBe(22); // js picks up wasm's value
    v.assign(G.tensor([0, 0, 0])); // eager write
    expect(w(G.tensor([1, 2, 3])).item()).toBe(6);
    expect(j(G.tensor([1, 0, 0])).item()).toBe(7);
    expect(w(G.tensor([0, 0, 1])).item()).toBe(8);
    expect(Array.from(v.dataSync())).toEqual([2, 2, 4]);
  });
});

describe("errors on wasm, as on js", () => {
  it("a gather index out of range is a GraftError naming the kernel and the user's line", () => {
    const f = G.fn((x: G.Tensor, i: G.Tensor) => G.gather(x, i), { backend: "wasm" });
    const x = G.tensor([[1, 2], [3, 4]]);
    expect(f(x, G.tensor([1, 0], [2], "i32")).arraySync()).toEqual([[3, 4], [1, 2]]);
    expect(() => f(x, G.tensor([0, 5], [2], "i32"))).toThrow(/gather: index 5 is out of range \[0, 2\)[\s\S]*kernel k\d+_gather[\s\S]*e2e\.test\.ts:\d+/);
  });
  it("checkNumerics names the kernel that made a NaN and the user's line", () => {
    const f = G.fn((x: G.Tensor) => G.log(x).mul(2), { backend: "wasm", checkNumerics: true });
    expect((f(G.tensor([1, 2])).arraySync() as number[])[0]).toBe(0);
    expect(() => f(G.tensor([1, -2]))).toThrow(G.NaNError);
    expect(() => f(G.tensor([1, -2]))).toThrow(/produced NaN at element 1[\s\S]*e2e\.test\.ts/);
  });
  it("shape and dtype mistakes are the DSL's errors, whatever the backend", () => {
    const f = G.fn((a: G.Tensor, b: G.Tensor) => a.add(b), { backend: "wasm" });
    expect(() => f(G.tensor([1, 2, 3]), G.tensor([1, 2]))).toThrow(G.ShapeError);
    expect(() => f(G.tensor([1, 2]), G.tensor([1, 2], [2], "i32"))).toThrow(G.DTypeError);
  });
  it("a bad input array at the backend boundary is a GraftError naming the input", () => {
    const b = new G.ir.Builder("f");
    const x = b.input({ dtype: "f32", shape: [3] });
    b.output(b.o.mul(x, 2));
    const exec = wasmBackend.compile({ traced: b.finish() }, {});
    expect(() => exec.run([G.ir.nd("f32", [2], [1, 2])], [])).toThrow(/wasm backend: input 0 expects f32\[3\], got f32\[2\]/);
  });
});
