/** @file Layers and models: Dense, Dropout, Sequential, Model subclassing, initializers, regularizer losses. */
import { describe, expect, it } from "vitest";
import { deserialize, fn, initializers, layers, matmul, Model, regularizers, serialize, tensor, type Tensor } from "../../src/index.js";
import { expectClose, rng, uniform } from "./helpers.js";

describe("layers", () => {
  it("Dense computes activation(x W + b); seeded initializers are reproducible and in range", () => {
    const mk = () => new layers.Dense({ units: 5, activation: "relu", kernelInitializer: initializers.glorotUniform({ seed: 11 }), biasInitializer: initializers.constant({ value: 0.1 }) });
    const d = mk();
    const x = tensor(uniform(rng(1), 12), [3, 4]);
    const y = d.apply(x);
    expect(y.shape).toEqual([3, 5]);
    const ref = matmul(x, d.kernel!).add(0.1).relu();
    expectClose(y.dataSync(), ref.dataSync(), 1e-6);
    const d2 = mk();
    d2.apply(x);
    expect(d2.kernel!.dataSync()).toEqual(d.kernel!.dataSync());
    const limit = Math.sqrt(6 / (4 + 5));
    const k = Array.from(d.kernel!.dataSync());
    expect(Math.max(...k.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(new Set(k).size).toBe(20);
    // heNormal: truncated at 2 sigma, variance about 2 / fanIn
    const he = Array.from(initializers.heNormal({ seed: 3 }).apply([400, 50]).dataSync());
    const sd = Math.sqrt(2 / 400) / 0.87962566103423978;
    expect(Math.max(...he.map(Math.abs))).toBeLessThanOrEqual(2 * sd + 1e-7);
    const variance = he.reduce((s, v) => s + v * v, 0) / he.length;
    expect(variance).toBeGreaterThan(0.9 * (2 / 400));
    expect(variance).toBeLessThan(1.1 * (2 / 400));
  });

  it("Sequential builds from inputShape; variables have stable paths; regularizers add losses", () => {
    const model = new layers.Sequential([
      new layers.Dense({ units: 3, inputShape: [4], activation: "tanh", kernelRegularizer: new regularizers.L2({ l2: 0.5 }) }),
      new layers.Dropout({ rate: 0.5, seed: 1 }),
      new layers.Dense({ units: 2 }),
    ]);
    expect(model.built).toBe(true);
    expect(model.trainableVariables.map((v) => v.shape)).toEqual([[4, 3], [3], [3, 2], [2]]);
    expect(model.nonTrainableVariables.map((v) => v.dtype)).toEqual(["i32"]); // the dropout seed state
    expect(model.namedVariables().map(([p]) => p)).toEqual(["layers.0.kernel", "layers.0.bias", "layers.1.seed_generator_state", "layers.2.kernel", "layers.2.bias"]);
    const k = model.trainableVariables[0]!.dataSync();
    expect(model.losses.length).toBe(1);
    expect(model.losses[0]!.item()).toBeCloseTo(0.5 * Array.from(k).reduce((s, v) => s + v * v, 0), 5);
    expect(model.apply(tensor(uniform(rng(2), 8), [2, 4])).shape).toEqual([2, 2]);
    expect(model.countParams()).toBe(4 * 3 + 3 + 3 * 2 + 2 + 2);
    // config round trip rebuilds the same architecture
    const back = deserialize<layers.Sequential>(JSON.parse(JSON.stringify(serialize(model))));
    expect(back.trainableVariables.map((v) => v.shape)).toEqual([[4, 3], [3], [3, 2], [2]]);
    expect(back.losses.length).toBe(1);
  });

  it("Dropout: identity unless training; inverted scaling; a new seeded mask per step", () => {
    const drop = new layers.Dropout({ rate: 0.25, seed: 5 });
    const x = tensor(new Float32Array(4000).fill(1), [40, 100]);
    expect(drop.apply(x).dataSync()).toEqual(x.dataSync());
    const f = fn((t: Tensor) => drop.apply(t, { training: true }));
    const m1 = f(x).dataSync();
    const m2 = f(x).dataSync();
    const kept = m1.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    expect(kept.length / 4000).toBeGreaterThan(0.72);
    expect(kept.length / 4000).toBeLessThan(0.78);
    expect(m2).not.toEqual(m1); // the counter advanced in-graph
    expect(Array.from(drop.seedState.dataSync())).toEqual([5, 2]);
    // the same seed and counter give the same mask, eagerly too
    const again = new layers.Dropout({ rate: 0.25, seed: 5 });
    expect(again.apply(x, { training: true }).dataSync()).toEqual(m1);
  });

  it("Model subclassing: call(x, { training }), tracked sublayers, trainable flags", () => {
    class MLP extends Model {
      readonly hidden = new layers.Dense({ units: 8, activation: "relu" });
      readonly drop = new layers.Dropout({ rate: 0.5, seed: 2 });
      readonly out = new layers.Dense({ units: 3 });
      call(x: Tensor, { training = false } = {}): Tensor {
        return this.out.apply(this.drop.apply(this.hidden.apply(x), { training }));
      }
    }
    const m = new MLP();
    const x = tensor(uniform(rng(4), 10), [2, 5]);
    const y = m.apply(x, { training: false });
    expect(y.shape).toEqual([2, 3]);
    expect(m.layers.length).toBe(3);
    expect(m.trainableVariables.length).toBe(4);
    expect(m.namedVariables().map(([p]) => p)).toEqual(["hidden.kernel", "hidden.bias", "drop.seed_generator_state", "out.kernel", "out.bias"]);
    expectClose(m.predict(x).dataSync(), y.dataSync(), 0);
    m.hidden.trainable = false;
    expect(m.trainableVariables.length).toBe(2);
    expect(m.nonTrainableVariables.length).toBe(3);
  });
});
