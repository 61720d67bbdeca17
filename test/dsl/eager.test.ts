/** @file Eager mode and the DSL surface: creation, method chaining, tfjs-style signatures, composites against tfjs. */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import * as g from "../../src/index.js";
import { tensor, type Tensor } from "../../src/index.js";
import { expectClose } from "../ir/helpers.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const arr = (t: Tensor): number[] => Array.from(t.dataSync());
const toTf = (t: Tensor): tf.Tensor => tf.tensor(Array.from(t.dataSync()), t.shape, t.dtype === "i32" ? "int32" : t.dtype === "bool" ? "bool" : "float32");
/** Asserts a graft tensor equals a tfjs one: shape, dtype family and values. */
function same(t: Tensor, want: tf.Tensor, rtol = 1e-5): void {
  expect(t.shape).toEqual(want.shape);
  expect(t.dtype === "i32" ? "int32" : t.dtype === "bool" ? "bool" : "float32").toBe(want.dtype);
  expectClose(t.dataSync(), want.dataSync(), rtol, 1e-6);
}

describe("creating tensors", () => {
  it("infers shape and dtype from nested arrays, typed arrays and numbers", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect([a.shape, a.dtype, a.rank, a.size]).toEqual([[2, 3], "f32", 2, 6]);
    expect(a.arraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([[true, false]]);
    expect([b.shape, b.dtype]).toEqual([[1, 2], "bool"]);
    expect(b.arraySync()).toEqual([[true, false]]);
    expect(tensor(new Int32Array([1, 2])).dtype).toBe("i32");
    expect(tensor(3).shape).toEqual([]);
    expect(tensor(3).item()).toBe(3);
    expect(tensor([1, 2, 3, 4], [2, 2], "int32").arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(tensor(7, [2, 2]).arraySync()).toEqual([[7, 7], [7, 7]]); // one value fills a given shape
  });

  it("rejects ragged arrays and data that does not fill the shape", () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(g.ShapeError);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow("tensor(): 3 values do not fill shape [2,2]");
  });

  it("zeros, ones, fill, range and iota", () => {
    expect(arr(g.zeros([2, 2]))).toEqual([0, 0, 0, 0]);
    expect(g.ones([3], "i32").dtype).toBe("i32");
    expect(arr(g.range(4))).toEqual([0, 1, 2, 3]);
    expect(g.iota([2, 3], 1).arraySync()).toEqual([[0, 1, 2], [0, 1, 2]]);
  });

  it("data(), array() and dataSync() copy out", async () => {
    const a = tensor([1, 2]);
    const d = a.dataSync();
    d[0] = 100;
    expect(arr(a)).toEqual([1, 2]);
    expect(Array.from(await a.data())).toEqual([1, 2]);
    expect(await a.array()).toEqual([1, 2]);
  });
});

describe("ops as methods and free functions", () => {
  const x = g.randomNormal([3, 4], { seed: 1 });
  const w = g.randomNormal([4, 2], { seed: 2 });
  const b = g.randomNormal([2], { seed: 3 });

  it("method chaining gives the free-function result and tfjs's", () => {
    const chained = x.matmul(w).add(b).relu();
    const free = g.relu(g.add(g.matmul(x, w), b));
    expect(arr(chained)).toEqual(arr(free));
    same(chained, tf.relu(tf.add(tf.matMul(toTf(x), toTf(w)), toTf(b))));
  });

  it("plain numbers are weak scalars that keep the tensor's dtype", () => {
    expect(x.mul(2).dtype).toBe("f32");
    expect(tensor([1, 2], [2], "i32").add(1).dtype).toBe("i32");
    expect(arr(g.sub(10, tensor([1, 2])))).toEqual([9, 8]);
    // a where with only numbers for branches yields f32
    const c = g.where(tensor([true, false]), 1, 0);
    expect([c.dtype, arr(c)]).toEqual(["f32", [1, 0]]);
  });

  it("reductions take tfjs's (axis?, keepDims?) with negative axes and lists", () => {
    same(x.sum(), tf.sum(toTf(x)));
    same(x.mean(-1), tf.mean(toTf(x), -1));
    same(x.max([0, 1], true), tf.max(toTf(x), [0, 1], true));
    same(x.min(0), tf.min(toTf(x), 0));
    same(x.argmax(-1), tf.argMax(toTf(x), -1));
    same(x.add(2).prod(1, true), tf.prod(tf.add(toTf(x), 2), 1, true), 1e-4);
  });

  it("shape ops follow tfjs: reshape with -1, transpose default, slice with -1, squeeze, stack, concat", () => {
    const t = g.randomUniform([2, 3, 4], { seed: 9 });
    same(t.reshape([-1, 4]), tf.reshape(toTf(t), [-1, 4]));
    same(t.transpose(), tf.transpose(toTf(t)));
    same(t.transpose([1, 0, 2]), tf.transpose(toTf(t), [1, 0, 2]));
    same(t.slice([0, 1], [-1, 2]), tf.slice(toTf(t), [0, 1], [-1, 2]));
    same(t.slice(1), tf.slice(toTf(t), 1));
    same(t.expandDims(1), tf.expandDims(toTf(t), 1));
    same(t.slice([0, 0, 0], [2, 1, 4]).squeeze(), tf.squeeze(tf.slice(toTf(t), [0, 0, 0], [2, 1, 4])));
    same(g.stack([x, x.neg()], 1), tf.stack([toTf(x), tf.neg(toTf(x))], 1));
    same(x.concat([x, x], -1), tf.concat([toTf(x), toTf(x), toTf(x)], -1));
    same(t.pad([[0, 1], [1, 0], [0, 0]]), tf.pad(toTf(t), [[0, 1], [1, 0], [0, 0]]));
    same(g.broadcastTo(b, [3, 2]), tf.broadcastTo(toTf(b), [3, 2]));
    const idx = tensor([2, 0], [2], "i32");
    same(t.gather(idx, 1), tf.gather(toTf(t), toTf(idx), 1));
  });

  it("ops that are no-ops return their input (no node emitted)", () => {
    expect(x.reshape([3, 4])).toBe(x);
    expect(x.transpose([0, 1])).toBe(x);
    expect(x.cast("float32")).toBe(x);
    expect(x.slice([0, 0])).toBe(x);
  });
});

describe("composites against tfjs", () => {
  const logits = g.randomNormal([4, 5], { seed: 21, stddev: 3 });
  const L = () => toTf(logits);
  it("softmax and logSoftmax (also for large logits)", () => {
    same(g.softmax(logits), tf.softmax(L()));
    same(logits.logSoftmax(), tf.logSoftmax(L()));
    const big = logits.mul(100);
    same(g.logSoftmax(big), tf.logSoftmax(tf.mul(L(), 100)), 1e-4);
    expect(arr(g.softmax(big)).every(Number.isFinite)).toBe(true);
  });

  it("logSumExp over axes, with keepDims", () => {
    same(g.logSumExp(logits, 1), tf.logSumExp(L(), 1));
    same(g.logSumExp(logits, [0, 1], true), tf.logSumExp(L(), [0, 1], true));
  });

  it("oneHot, softplus, leakyRelu, elu, clipByValue, sigmoid", () => {
    const idx = tensor([0, 3, 1], [3], "i32");
    same(g.oneHot(idx, 4, { dtype: "i32" }), tf.oneHot(toTf(idx), 4));
    expect(arr(g.oneHot(idx, 4, { onValue: 5, offValue: -1 }).sum(1))).toEqual([2, 2, 2]);
    same(g.softplus(logits), tf.softplus(L()), 1e-4);
    same(g.leakyRelu(logits, 0.1), tf.leakyRelu(L(), 0.1));
    same(g.elu(logits), tf.elu(L()), 1e-4);
    same(g.clipByValue(logits, -1, 0.5), tf.clipByValue(L(), -1, 0.5));
    same(logits.sigmoid(), tf.sigmoid(L()));
  });

  it("softmax cross-entropy by hand: -log p of the right class", () => {
    const z = tensor([[2, 1, 0], [0, 0, 0]]);
    const loss = g.logSoftmax(z).mul(g.oneHot(tensor([0, 2], [2], "i32"), 3)).sum(-1).neg();
    const lse0 = Math.log(Math.exp(2) + Math.exp(1) + 1);
    expectClose(loss.dataSync(), [lse0 - 2, Math.log(3)], 1e-6);
  });
});
