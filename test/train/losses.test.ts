/** @file Losses against tf.losses (or the formula where tfjs has none), reductions and sample weights. */
import { describe, expect, it } from "vitest";
import { fn, tensor, losses, type Tensor } from "../../src/index.js";
import { expectClose, rng, tfReady, uniform } from "./helpers.js";

const B = 4, C = 3;
const r = rng(3);
const yT = uniform(r, B * C, -1, 1);
const yP = uniform(r, B * C, -2, 2);
const probs = uniform(r, B * C, 0.05, 0.95);
const bin = Float32Array.from(uniform(r, B * C, 0, 1), (x) => (x > 0.5 ? 1 : 0));
const labels = Int32Array.from([0, 2, 1, 2]);
const oneHotLabels = Float32Array.from({ length: B * C }, (_, i) => (labels[Math.floor(i / C)] === i % C ? 1 : 0));
const t = (d: Float32Array | Int32Array, s = [B, C]) => tensor(d, s);

describe("losses match tf.losses", () => {
  it("MeanSquaredError, MeanAbsoluteError, Huber", async () => {
    const tf = await tfReady();
    const a = tf.tensor(yT, [B, C]), p = tf.tensor(yP, [B, C]);
    expectClose([new losses.MeanSquaredError().apply(t(yT), t(yP)).item()], tf.losses.meanSquaredError(a, p).dataSync(), 1e-6);
    expectClose([new losses.MeanAbsoluteError().apply(t(yT), t(yP)).item()], tf.losses.absoluteDifference(a, p).dataSync(), 1e-6);
    for (const delta of [1, 0.3]) {
      expectClose([new losses.Huber({ delta }).apply(t(yT), t(yP)).item()], tf.losses.huberLoss(a, p, undefined, delta).dataSync(), 1e-6);
    }
    // per-sample ("none") is the mean over the last axis of tfjs's elementwise loss
    const none = new losses.MeanSquaredError({ reduction: "none" }).apply(t(yT), t(yP));
    expect(none.shape).toEqual([B]);
    const el = tf.losses.meanSquaredError(a, p, undefined, tf.Reduction.NONE).mean(-1);
    expectClose(none.dataSync(), el.dataSync(), 1e-6);
  });

  it("BinaryCrossentropy from probabilities and from logits", async () => {
    const tf = await tfReady();
    const y = tf.tensor(bin, [B, C]);
    expectClose([new losses.BinaryCrossentropy().apply(t(bin), t(probs)).item()], tf.losses.logLoss(y, tf.tensor(probs, [B, C])).dataSync(), 1e-6);
    expectClose([new losses.BinaryCrossentropy({ fromLogits: true }).apply(t(bin), t(yP)).item()], tf.losses.sigmoidCrossEntropy(y, tf.tensor(yP, [B, C])).dataSync(), 1e-6);
    // large logits stay finite (the stable form)
    const big = new losses.BinaryCrossentropy({ fromLogits: true }).apply(tensor([[1, 0]]), tensor([[-200, 200]])).item();
    expect(big).toBeCloseTo(200, 4);
  });

  it("CategoricalCrossentropy and SparseCategoricalCrossentropy", async () => {
    const tf = await tfReady();
    const hot = tf.tensor(oneHotLabels, [B, C]);
    const ref = tf.losses.softmaxCrossEntropy(hot, tf.tensor(yP, [B, C])).dataSync();
    expectClose([new losses.CategoricalCrossentropy({ fromLogits: true }).apply(t(oneHotLabels), t(yP)).item()], ref, 1e-6);
    expectClose([new losses.SparseCategoricalCrossentropy({ fromLogits: true }).apply(t(labels, [B]), t(yP)).item()], ref, 1e-6);
    // labels may be float and may carry a trailing axis of 1, as in Keras
    expectClose([new losses.SparseCategoricalCrossentropy({ fromLogits: true }).apply(tensor(Float32Array.from(labels), [B, 1]), t(yP)).item()], ref, 1e-6);
    // from probabilities: -log p[label] after renormalizing each row
    const rows = Array.from({ length: B }, (_, i) => probs.slice(i * C, (i + 1) * C));
    const formula = rows.reduce((s, row, i) => s - Math.log(row[labels[i]!]! / row.reduce((a, b) => a + b, 0)), 0) / B;
    expectClose([new losses.SparseCategoricalCrossentropy().apply(t(labels, [B]), t(probs)).item()], [formula], 1e-6);
    expectClose([new losses.CategoricalCrossentropy().apply(t(oneHotLabels), t(probs)).item()], [formula], 1e-6);
    // label smoothing: tfjs's softmaxCrossEntropy has it too
    const sm = tf.losses.softmaxCrossEntropy(hot, tf.tensor(yP, [B, C]), undefined, 0.2).dataSync();
    expectClose([new losses.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.2 }).apply(t(oneHotLabels), t(yP)).item()], sm, 1e-6);
  });

  it("reductions and sample weights", () => {
    const w = tensor([1, 0, 2, 0.5]);
    const per = new losses.MeanSquaredError({ reduction: "none" }).apply(t(yT), t(yP)).dataSync();
    const wsum = per[0]! * 1 + per[2]! * 2 + per[3]! * 0.5;
    expectClose([new losses.MeanSquaredError({ reduction: "sum" }).apply(t(yT), t(yP), w).item()], [wsum], 1e-6);
    expectClose([new losses.MeanSquaredError().apply(t(yT), t(yP), w).item()], [wsum / B], 1e-6);
    expect(() => new losses.MeanSquaredError({ reduction: "avg" as never })).toThrow(/unknown reduction 'avg'/);
    expect(() => new losses.SparseCategoricalCrossentropy().apply(tensor([1, 2]), t(yP))).toThrow(/labels \[2\] do not match predictions \[4,3\]/);
  });

  it("compiled inside fn gives the eager numbers; config round-trips", () => {
    const l = new losses.SparseCategoricalCrossentropy({ fromLogits: true });
    const f = fn((y: Tensor, p: Tensor) => l.apply(y, p), { backend: "interp" });
    expectClose(f(t(labels, [B]), t(yP)).dataSync(), [l.apply(t(labels, [B]), t(yP)).item()], 1e-6);
    const h = new losses.Huber({ delta: 0.5, reduction: "sum" });
    expect(losses.Huber.fromConfig(h.getConfig()).getConfig()).toEqual(h.getConfig());
  });
});
