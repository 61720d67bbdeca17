/** @file graft and TensorFlow.js side by side: shared variables, tfjs tensors in and out, backends, errors. */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { fn, fromTfjs, fromTfjsVariable, initTfjs, NaNError, tensor, toTfjs, UsageError, variable, type Tensor } from "../../src/index.js";

beforeAll(() => initTfjs("wasm"));

const arr = (t: Tensor | tf.Tensor): number[] => Array.from(t.dataSync());
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `element ${i}: ${a[i]} vs ${b[i]}`).toBeLessThan(tol);
};

describe.each(["cpu", "wasm"])("variables shared with tfjs code (tfjs %s)", (tfjsBackend) => {
  it("a graft variable is a live tf.Variable that plain tfjs code reads and writes", () => {
    const w = variable(tensor([1, 2, 3]), { name: "shared_w" });
    const step = fn((x: Tensor) => {
      w.assign(w.mul(x));
      return w.sum();
    }, { backend: "tfjs", tfjsBackend });
    step(tensor([2, 2, 2]));
    const tv = toTfjs(w);
    expect(tv).toBeInstanceOf(tf.Variable);
    expect(arr(tv)).toEqual([2, 4, 6]);
    expect(arr(tf.sum(tv))).toEqual([12]);
    step(tensor([1, 0.5, 2]));
    // updated in place: the same tf.Variable holds the new value
    expect(toTfjs(w)).toBe(tv);
    expect(arr(tv)).toEqual([2, 2, 12]);
    // a tfjs-side assign is what the next graft step reads, and what eager graft reads see
    tv.assign(tf.tensor([1, 1, 1]));
    expect(arr(w)).toEqual([1, 1, 1]);
    tv.assign(tf.tensor([3, 3, 3]));
    expect(arr(step(tensor([1, 2, 3])))).toEqual([18]);
    expect(arr(w)).toEqual([3, 6, 9]);
    // an eager graft assign wins over the stale tfjs copy at the next step
    w.assign(tensor([1, 1, 1]));
    expect(arr(step(tensor([5, 5, 5])))).toEqual([15]);
    expect(arr(toTfjs(w))).toEqual([5, 5, 5]);
  });

  it("a tfjs model's weights train as graft variables, in place", () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], kernelInitializer: "glorotUniform" })] });
    const [kernel, bias] = model.layers[0]!.weights.map((lw) => lw.read() as tf.Variable);
    const W = fromTfjsVariable(kernel!);
    const b = fromTfjsVariable(bias!);
    expect(toTfjs(W)).toBe(kernel);
    const x = tf.tensor([[1, 2, 3], [-1, 0.5, 2]]);
    const target = tensor([[1, 0], [0, 1]]);
    const sgd = fn((xs: Tensor, ys: Tensor) => {
      const pred = xs.matmul(W).add(b);
      const loss = pred.sub(ys).square().mean();
      W.assign(W.sub(xs.transpose().matmul(pred.sub(ys)).mul(0.1)));
      b.assign(b.sub(pred.sub(ys).sum(0).mul(0.1)));
      return loss;
    }, { backend: "tfjs", tfjsBackend });
    const before = arr(kernel!);
    sgd(x as never, target);
    // the model's own variables moved, and its predictions use them
    expect(arr(kernel!)).not.toEqual(before);
    const expected = tf.add(tf.matMul(x, tf.tensor(arr(kernel!), [3, 2])), tf.tensor(arr(bias!)));
    close(arr(model.predict(x) as tf.Tensor), arr(expected));
    // and graft's eager view agrees with tfjs's
    expect(Array.from(W.dataSync())).toEqual(arr(kernel!));
    x.dispose();
  });
});

describe("state moves between backends", () => {
  it("tfjs cpu, interp and tfjs wasm steps on one variable see each other's updates", () => {
    const w = variable(tensor([1, 2]), { name: "moving_w" });
    const inc = (backend: string, tfjsBackend?: string) => fn(() => w.assign(w.mul(2).add(1)).value.sum(), { backend, ...(tfjsBackend ? { tfjsBackend } : {}) });
    const [a, b, c] = [inc("tfjs", "cpu"), inc("interp"), inc("tfjs", "wasm")];
    expect(a().item()).toBe(3 + 5);
    expect(b().item()).toBe(7 + 11);
    expect(c().item()).toBe(15 + 23);
    expect(a().item()).toBe(31 + 47);
    expect(arr(w)).toEqual([31, 47]);
  });
});

describe("tfjs tensors in and out", () => {
  it("a tf.Tensor input is used without a download; other backends download it", () => {
    const t = tf.tensor([1, -2, 3]);
    let downloads = 0;
    const orig = t.dataSync.bind(t);
    (t as { dataSync: () => unknown }).dataSync = () => (downloads++, orig());
    const f = fn((x: Tensor) => x.relu().sum(), { backend: "tfjs" });
    expect(f(t as never).item()).toBe(4);
    expect(downloads).toBe(0);
    const g = fn((x: Tensor) => x.relu().sum(), { backend: "interp" });
    expect(g(t as never).item()).toBe(4);
    expect(downloads).toBe(1);
    t.dispose();
  });

  it('outputs: "tfjs" returns tf.Tensors the caller owns (only on the tfjs backend)', () => {
    const w = variable(tensor([1, 2]), { name: "out_w" });
    const f = fn((x: Tensor) => [x.mul(w), w.value, x] as const, { backend: "tfjs", tfjsBackend: "wasm", outputs: "tfjs" });
    const x = tf.tensor([3, 4]);
    const [y, wv, same] = f(x as never) as unknown as tf.Tensor[];
    expect(y).toBeInstanceOf(tf.Tensor);
    expect(arr(y!)).toEqual([3, 8]);
    expect(arr(wv!)).toEqual([1, 2]);
    // outputs that are inputs or state are clones: disposing them leaves x and w alone
    [y, wv, same].forEach((t) => t!.dispose());
    expect(x.isDisposed).toBe(false);
    expect(arr(w)).toEqual([1, 2]);
    expect(arr(fromTfjs(x))).toEqual([3, 4]);
    x.dispose();
    expect(() => fn((a: Tensor) => a, { backend: "interp", outputs: "tfjs" })).toThrow(UsageError);
  });

  it("f64 graphs run in float32 and come back as f64", () => {
    const f = fn((x: Tensor) => x.mul(1 / 3), { backend: "tfjs" });
    const y = f(tensor([1, 2], [2], "f64"));
    expect(y.dtype).toBe("f64");
    close(y.dataSync(), [1 / 3, 2 / 3], 1e-7);
    expect(y.dataSync()[0]).not.toBe(1 / 3); // float32 rounding, documented
  });
});

describe("backends and errors", () => {
  it("source() shows the generated program; checkNumerics names the op", () => {
    const f = fn((x: Tensor) => x.log().sum(), { backend: "tfjs", checkNumerics: true });
    expect(() => f(tensor([1, -1]))).toThrow(NaNError);
    expect(f.source()).toMatch(/tf\.tidy\(\(\) => \{[\s\S]*tf\.log\(in0\)[\s\S]*rt\.check/);
  });

  it("the active tfjs backend is left as the user set it", () => {
    const before = tf.getBackend();
    fn((x: Tensor) => x.add(1), { backend: "tfjs", tfjsBackend: "wasm" })(tensor([1]));
    expect(tf.getBackend()).toBe(before);
  });

  it("unknown tfjs backends are usage errors", () => {
    expect(() => fn((x: Tensor) => x, { backend: "tfjs", tfjsBackend: "webgpu" })(tensor([1]))).toThrow(/unknown tfjs backend 'webgpu'/);
  });

  const hasTfjsNode = (() => {
    try {
      createRequire(import.meta.url).resolve("@tensorflow/tfjs-node");
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(hasTfjsNode)("without @tensorflow/tfjs-node, the tensorflow backend says how to get it", async () => {
    await expect(initTfjs("tensorflow")).rejects.toThrow(/npm i @tensorflow\/tfjs-node/);
    expect(() => fn((x: Tensor) => x, { backend: "tfjs", tfjsBackend: "tensorflow" })(tensor([1]))).toThrow(/not initialized: call `await initTfjs\("tensorflow"\)`/);
  });

  it.skipIf(!hasTfjsNode)("tensorflow backend (tfjs-node) runs a step (skipped: @tensorflow/tfjs-node is not installed)", async () => {
    await initTfjs("tensorflow");
    const f = fn((x: Tensor) => x.matmul(x, false, true).relu().sum(), { backend: "tfjs", tfjsBackend: "tensorflow" });
    expect(f(tensor([[1, -2], [3, 4]])).item()).toBe(30);
  });
});
