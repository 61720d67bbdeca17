/** @file Metrics against hand-computed values, eagerly and inside a compiled step. */
import { describe, expect, it } from "vitest";
import { fn, tensor, metrics, type Tensor } from "../../src/index.js";

describe("metrics", () => {
  it("Mean: weighted running mean, reset", () => {
    const m = new metrics.Mean();
    expect(m.result().item()).toBe(0); // empty: 0, not NaN
    m.updateState(tensor([1, 2, 3]));
    m.updateState(tensor([10]), tensor([2]));
    expect(m.result().item()).toBeCloseTo((1 + 2 + 3 + 20) / 5, 6);
    m.resetState();
    m.updateState(tensor([[4, 6]]));
    expect(m.result().item()).toBe(5);
  });

  it("Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy", () => {
    const acc = new metrics.Accuracy();
    acc.updateState(tensor([1, 2, 3, 4]), tensor([1, 2, 0, 4]));
    expect(acc.result().item()).toBeCloseTo(0.75, 6);

    const bin = new metrics.BinaryAccuracy();
    bin.updateState(tensor([[1], [0], [1], [0]]), tensor([[0.9], [0.6], [0.4], [0.1]]));
    expect(bin.result().item()).toBeCloseTo(0.5, 6);
    const bin2 = new metrics.BinaryAccuracy({ threshold: 0.7 });
    bin2.updateState(tensor([[1], [0], [1], [0]]), tensor([[0.9], [0.6], [0.4], [0.1]]));
    expect(bin2.result().item()).toBeCloseTo(0.75, 6);

    const preds = tensor([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.2, 0.3, 0.5], [0.3, 0.4, 0.3], [0.5, 0.1, 0.4]]);
    const cat = new metrics.CategoricalAccuracy();
    cat.updateState(tensor([[0, 1, 0], [1, 0, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]]), preds);
    expect(cat.result().item()).toBeCloseTo(3 / 5, 6);

    const sparse = new metrics.SparseCategoricalAccuracy();
    sparse.updateState(tensor([1, 0, 0, 2, 0], undefined, "i32"), preds); // hits: 1, 0, -, -, 0
    expect(sparse.result().item()).toBeCloseTo(3 / 5, 6);
    sparse.updateState(tensor([[2], [1]]), tensor([[0, 0, 1], [1, 0, 0]])); // float labels [B,1]: one hit
    expect(sparse.result().item()).toBeCloseTo(4 / 7, 6);
    sparse.updateState(tensor([0, 2], undefined, "i32"), tensor([[1, 0, 0], [1, 0, 0]]), tensor([3, 1])); // weighted: 3 of 4
    expect(sparse.result().item()).toBeCloseTo(7 / 11, 6);
    sparse.resetStates();
    expect(sparse.result().item()).toBe(0);
  });

  it("inside a compiled step the state is graph state; result readable eagerly", () => {
    const m = new metrics.SparseCategoricalAccuracy();
    const step = fn((y: Tensor, p: Tensor) => {
      m.updateState(y, p);
      return m.result();
    }, { backend: "interp" });
    const r1 = step(tensor([0, 1], undefined, "i32"), tensor([[1, 0], [1, 0]]));
    expect(r1.item()).toBeCloseTo(0.5, 6);
    const r2 = step(tensor([0, 1], undefined, "i32"), tensor([[1, 0], [0, 1]]));
    expect(r2.item()).toBeCloseTo(0.75, 6);
    expect(m.result().item()).toBeCloseTo(0.75, 6);
    expect(step.ir("traced")).toMatch(/state\(/);
    m.resetState();
    expect(step(tensor([1, 1], undefined, "i32"), tensor([[1, 0], [0, 1]])).item()).toBeCloseTo(0.5, 6);
    expect(step.traces.length).toBe(1);
  });
});
