/** @file Dataset: slicing, batching, shuffling (deterministic, reshuffled per epoch), map/repeat/take. */
import { describe, expect, it } from "vitest";
import { tensor, data, type Tensor } from "../../src/index.js";

const ids = (ds: Iterable<Tensor>): number[] => [...ds].flatMap((t) => Array.from(t.dataSync()));

describe("Dataset", () => {
  it("fromTensorSlices over tensors, nested arrays, tuples and objects", () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const ds = data.Dataset.fromTensorSlices<[Tensor, Tensor]>([x, tensor([7, 8, 9], undefined, "i32")]);
    expect(ds.cardinality()).toBe(3);
    const els = ds.toArray();
    expect(els.length).toBe(3);
    expect(els[1]![0].arraySync()).toEqual([3, 4]);
    expect(els[1]![1].dtype).toBe("i32");
    expect(els[2]![1].item()).toBe(9);
    const obj = data.Dataset.fromTensorSlices<{ a: Tensor; b: Tensor }>({ a: [[1, 2], [3, 4]], b: new Float32Array([5, 6]) });
    expect(obj.toArray()[1]!.a.arraySync()).toEqual([3, 4]);
    expect(() => data.Dataset.fromTensorSlices([tensor([1, 2]), tensor([1, 2, 3])])).toThrow(/different first dimensions/);
  });

  it("batch, with and without the remainder", () => {
    const ds = data.Dataset.fromTensorSlices<[Tensor, Tensor]>([tensor([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]), tensor([0, 1, 2, 3, 4])]);
    const b = ds.batch(2).toArray();
    expect(b.map(([x]) => x.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(b[1]![0].arraySync()).toEqual([[2, 2], [3, 3]]);
    expect(b[1]![1].arraySync()).toEqual([2, 3]);
    expect(ds.batch(2, { dropRemainder: true }).toArray().length).toBe(2);
    expect(ds.batch(2).cardinality()).toBe(3);
  });

  it("shuffle: a permutation, deterministic with a seed, a new order each epoch", () => {
    const n = 50;
    const ds = data.Dataset.range(n).shuffle(16, { seed: 42 });
    const e1 = ids(ds);
    const e2 = ids(ds);
    expect([...e1].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    expect(e1).not.toEqual([...Array(n).keys()]);
    expect(e2).not.toEqual(e1); // reshuffled per epoch
    const again = data.Dataset.range(n).shuffle(16, { seed: 42 });
    expect(ids(again)).toEqual(e1); // same seed, same sequence of epochs
    expect(ids(again)).toEqual(e2);
    expect(ids(data.Dataset.range(n).shuffle(16, { seed: 43 }))).not.toEqual(e1);
    const fixed = data.Dataset.range(n).shuffle(16, { seed: 42, reshuffleEachIteration: false });
    expect(ids(fixed)).toEqual(ids(fixed));
    // a buffer of one element cannot reorder anything
    expect(ids(data.Dataset.range(n).shuffle(1, { seed: 1 }))).toEqual([...Array(n).keys()]);
  });

  it("shuffle then batch reshuffles batches per epoch (the training loop's pipeline)", () => {
    const ds = data.Dataset.fromTensorSlices<[Tensor, Tensor]>([tensor(Float32Array.from({ length: 20 }, (_, i) => i), [20]), tensor(Int32Array.from({ length: 20 }, (_, i) => i))])
      .shuffle(1024, { seed: 7 })
      .batch(8);
    const epoch = () => [...ds].map(([x, y]) => [Array.from(x.dataSync()), Array.from(y.dataSync())]);
    const a = epoch(), b = epoch();
    expect(a.map(([x]) => x!.length)).toEqual([8, 8, 4]);
    for (const [x, y] of a) expect(x).toEqual(y); // components stay aligned
    expect(a.flatMap(([x]) => x!).sort((p, q) => p - q)).toEqual([...Array(20).keys()]);
    expect(b).not.toEqual(a);
  });

  it("map, repeat, take, skip, for...of", () => {
    const ds = data.Dataset.range(4).map((t) => t.mul(10));
    expect(ids(ds)).toEqual([0, 10, 20, 30]);
    expect(ids(ds.repeat(2))).toEqual([0, 10, 20, 30, 0, 10, 20, 30]);
    expect(ids(ds.repeat().take(6))).toEqual([0, 10, 20, 30, 0, 10]);
    expect(ds.repeat().cardinality()).toBe(Infinity);
    expect(ids(ds.skip(3))).toEqual([30]);
    let n = 0;
    for (const t of ds.take(2)) n += t.item();
    expect(n).toBe(10);
    // repeat() after shuffle: every pass is a fresh permutation
    const rep = ids(data.Dataset.range(8).shuffle(8, { seed: 3 }).repeat(2));
    expect(rep.slice(0, 8)).not.toEqual(rep.slice(8));
  });
});
