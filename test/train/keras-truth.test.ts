/** @file The training library against Keras's formulas written out in float64 (issue 14, items 7-11), and tfjs's as named options. */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { fn, grad, losses, optimizers, regularizers, registerClass, deserialize, serialize, sum, abs, tensor, variable, UsageError, type Config, type Tensor } from "../../src/index.js";
import { expectClose } from "./helpers.js";

tf.setBackend("cpu");
const N = 12;
const STEPS = 120;
/** Step s's gradient, f32-rounded (graft's gradients are f32; the reference uses the same numbers). */
const gradAt = (s: number, scale: number): Float32Array => Float32Array.from({ length: N }, (_, i) => scale * Math.sin(i * 0.7 + s * 0.31 + 0.2));
const INIT = Float32Array.from({ length: N }, (_, i) => Math.cos(i) * 0.5);

/** Runs STEPS steps of `opt` inside one compiled step (js backend); returns w after each step. */
function runOpt(opt: optimizers.Optimizer, scale: number): Float32Array[] {
  const w = variable(tensor(INIT.slice()));
  const step = fn((g: Tensor) => opt.applyGradients([[g, w]]));
  const out: Float32Array[] = [];
  for (let s = 0; s < STEPS; s++) {
    step(tensor(gradAt(s, scale)));
    out.push(w.dataSync() as Float32Array);
  }
  return out;
}

/** A float64 reference: `update(w, g, t, slots)` mutates w (t = 1-based step). */
function runRef(update: (w: Float64Array, g: Float32Array, t: number, slots: Record<string, Float64Array>) => void, scale: number): Float64Array[] {
  const w = Float64Array.from(INIT);
  const slots: Record<string, Float64Array> = new Proxy({}, { get: (o: Record<string, Float64Array>, k: string) => (o[k] ??= new Float64Array(N)) });
  const out: Float64Array[] = [];
  for (let s = 0; s < STEPS; s++) {
    update(w, gradAt(s, scale), s + 1, slots);
    out.push(w.slice());
  }
  return out;
}

const compare = (got: Float32Array[], ref: Float64Array[], what: string, atol = 3e-5): void => {
  for (const s of [0, 1, 9, 24, 59, STEPS - 1]) expectClose(got[s]!, ref[s]!, atol, 1e-5, `${what} after step ${s + 1}`);
};
const SCALES = [1e-6, 1e-3, 1, 300];

describe("7: configs return the numbers given; explicit undefined means the default", () => {
  it("learningRate 0.3 round-trips as 0.3, not its f32 rounding", () => {
    const a = new optimizers.Adam({ learningRate: 0.3 });
    expect(a.getConfig().learningRate).toBe(0.3);
    expect(a.learningRate).toBe(0.3);
    a.learningRate = 0.1;
    expect(a.getConfig().learningRate).toBe(0.1);
  });
  it("new SGD({ learningRate: undefined }) uses Keras's 0.01; Adam's default is 0.001", () => {
    expect(new optimizers.SGD({ learningRate: undefined }).learningRate).toBe(0.01);
    expect(new optimizers.SGD().learningRate).toBe(0.01);
    expect(new optimizers.Adam({ learningRate: undefined, beta1: undefined }).getConfig()).toMatchObject({ learningRate: 0.001, beta1: 0.9 });
  });
});

describe("8: optimizers follow Keras's update formulas (tfjs's as a named option) over many steps and gradient scales", () => {
  const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
  const kerasAdam = (w: Float64Array, g: Float32Array, t: number, s: Record<string, Float64Array>): void => {
    const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (let i = 0; i < N; i++) {
      s.m![i] = b1 * s.m![i]! + (1 - b1) * g[i]!;
      s.v![i] = b2 * s.v![i]! + (1 - b2) * g[i]! ** 2;
      w[i] -= (lrT * s.m![i]!) / (Math.sqrt(s.v![i]!) + eps);
    }
  };
  const tfjsAdam = (w: Float64Array, g: Float32Array, t: number, s: Record<string, Float64Array>): void => {
    for (let i = 0; i < N; i++) {
      s.m![i] = b1 * s.m![i]! + (1 - b1) * g[i]!;
      s.v![i] = b2 * s.v![i]! + (1 - b2) * g[i]! ** 2;
      w[i] -= (lr * (s.m![i]! / (1 - b1 ** t))) / (Math.sqrt(s.v![i]! / (1 - b2 ** t)) + eps);
    }
  };

  it.each(SCALES)("Adam (default: Keras's epsilon-hat formula), gradients ~%s", (scale) => {
    compare(runOpt(new optimizers.Adam({ learningRate: lr }), scale), runRef(kerasAdam, scale), "Adam keras");
  });
  it.each(SCALES)("Adam { formula: 'tfjs' }, gradients ~%s", (scale) => {
    compare(runOpt(new optimizers.Adam({ learningRate: lr, formula: "tfjs" }), scale), runRef(tfjsAdam, scale), "Adam tfjs");
  });
  it("the two formulas differ where the audit saw it (gradients ~1e-6), and 'tfjs' matches tf.train.adam itself", () => {
    const k = runRef(kerasAdam, 1e-6), t = runRef(tfjsAdam, 1e-6);
    expect(Math.abs(k[24]![3]! - t[24]![3]!)).toBeGreaterThan(1e-3);
    const tw = tf.variable(tf.tensor(INIT));
    const topt = tf.train.adam(lr, b1, b2, eps);
    const ours = runOpt(new optimizers.Adam({ learningRate: lr, formula: "tfjs" }), 1e-6);
    for (let s = 0; s < 25; s++) topt.applyGradients([{ name: tw.name, tensor: tf.tensor(gradAt(s, 1e-6)) }]);
    expectClose(ours[24]!, tw.dataSync(), 3e-5, 1e-5, "tf.train.adam after 25 steps");
    expect(new optimizers.Adam({ formula: "tfjs" }).getConfig().formula).toBe("tfjs");
    expect(() => new optimizers.Adam({ formula: "pytorch" as never })).toThrow(UsageError);
  });
  it("AdamW (Keras: decay, then the Adam step with the epsilon-hat formula)", () => {
    const wd = 0.05;
    const ref = runRef((w, g, t, s) => {
      const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      for (let i = 0; i < N; i++) {
        w[i] -= lr * wd * w[i]!;
        s.m![i] = b1 * s.m![i]! + (1 - b1) * g[i]!;
        s.v![i] = b2 * s.v![i]! + (1 - b2) * g[i]! ** 2;
        w[i] -= (lrT * s.m![i]!) / (Math.sqrt(s.v![i]!) + eps);
      }
    }, 1e-6);
    compare(runOpt(new optimizers.AdamW({ learningRate: lr, weightDecay: wd }), 1e-6), ref, "AdamW");
  });

  // Keras 2 (the seed's tf.keras): without momentum, w -= lr g / (sqrt(ms) + eps) (eps outside the root);
  // with momentum, TF's ApplyRMSProp kernel: mom = momentum mom + lr g / sqrt(ms + eps); centered uses ms - mg^2
  const rmsRef = (rho: number, momentum: number, centered: boolean, inside: boolean) => (w: Float64Array, g: Float32Array, _t: number, s: Record<string, Float64Array>): void => {
    for (let i = 0; i < N; i++) {
      s.ms![i] = rho * s.ms![i]! + (1 - rho) * g[i]! ** 2;
      if (centered) s.mg![i] = rho * s.mg![i]! + (1 - rho) * g[i]!;
      const den = s.ms![i]! - (centered ? s.mg![i]! ** 2 : 0);
      if (momentum > 0 || inside) {
        s.mom![i] = momentum * s.mom![i]! + (lr * g[i]!) / Math.sqrt(den + eps);
        w[i] -= s.mom![i]!;
      } else w[i] -= (lr * g[i]!) / (Math.sqrt(den) + eps);
    }
  };
  it.each(SCALES)("RMSprop (Keras), plain, momentum and centered, gradients ~%s", (scale) => {
    compare(runOpt(new optimizers.RMSprop({ learningRate: lr }), scale), runRef(rmsRef(0.9, 0, false, false), scale), "RMSprop");
    compare(runOpt(new optimizers.RMSprop({ learningRate: lr, centered: true }), scale), runRef(rmsRef(0.9, 0, true, false), scale), "RMSprop centered");
    compare(runOpt(new optimizers.RMSprop({ learningRate: lr, momentum: 0.5, rho: 0.8 }), scale), runRef(rmsRef(0.8, 0.5, false, true), scale), "RMSprop momentum");
    compare(runOpt(new optimizers.RMSprop({ learningRate: lr, formula: "tfjs" }), scale), runRef(rmsRef(0.9, 0, false, true), scale), "RMSprop tfjs");
  });

  // Keras: velocity = m velocity - lr g; w += velocity (nesterov: w += m velocity - lr g). With a schedule
  // this differs from tfjs's accumulator form (a = m a + g; w -= lr a), which scales old velocity by the new rate.
  it.each([false, true])("SGD momentum with a decaying rate (Keras's velocity form), nesterov %s", (nesterov) => {
    const sched = new optimizers.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    const ref = runRef((w, g, t, s) => {
      const lrT = 0.1 * 0.5 ** ((t - 1) / 10);
      for (let i = 0; i < N; i++) {
        s.vel![i] = 0.9 * s.vel![i]! - lrT * g[i]!;
        w[i] += nesterov ? 0.9 * s.vel![i]! - lrT * g[i]! : s.vel![i]!;
      }
    }, 1);
    compare(runOpt(new optimizers.SGD({ learningRate: sched, momentum: 0.9, nesterov }), 1), ref, "SGD momentum", 1e-4);
  });
});

describe("9: cross-entropies from probabilities follow Keras's formulas", () => {
  const eps = 1e-7;
  const clip = (p: number): number => Math.min(Math.max(p, eps), 1 - eps);
  const probs = [[0.6, 0.4, 0, 0], [0.2, 0.2, 0.2, 0.2], [0.05, 0.9, 0.03, 0.02]];
  const labels = [0, 3, 1];

  it("SparseCategoricalCrossentropy: Keras's log-softmax of log(clip(p)) (clip first, then normalize), values and gradients", () => {
    // keras/src/backend/tensorflow/nn.py (and tf.keras 2's backend): clip, log, sparse_softmax_cross_entropy_with_logits
    const want = probs.map((row, r) => -Math.log(clip(row[labels[r]!]!)) + Math.log(row.map(clip).reduce((a, b) => a + b)));
    const l = new losses.SparseCategoricalCrossentropy({ reduction: "none" });
    expectClose(l.apply(tensor(labels, [3], "i32"), tensor(probs)).dataSync(), want, 1e-6, 1e-6, "values");
    // d/dp_j: -[j = y]/p_y + 1/sum(clip p) where p_j is inside the clip range; 0 where clipped
    const g = grad((p: Tensor) => l.apply(tensor(labels, [3], "i32"), p).sum())(tensor(probs)) as Tensor;
    const wantG = probs.flatMap((row, r) => {
      const s = row.map(clip).reduce((a, b) => a + b);
      return row.map((p, j) => (p < eps || p > 1 - eps ? 0 : (j === labels[r] ? -1 / p : 0) + 1 / s));
    });
    expectClose(g.dataSync(), wantG, 1e-5, 1e-5, "gradients");
  });

  it("CategoricalCrossentropy: normalize, clip, -sum(y log p); BinaryCrossentropy: clip, log(p + eps) (tf.keras 2)", () => {
    const y = [[1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]];
    const want = probs.map((row, r) => {
      const s = row.reduce((a, b) => a + b);
      return -row.reduce((acc, p, j) => acc + y[r]![j]! * Math.log(clip(p / s)), 0);
    });
    expectClose(new losses.CategoricalCrossentropy({ reduction: "none" }).apply(tensor(y), tensor(probs)).dataSync(), want, 1e-6, 1e-6, "cce");
    const p = [[0.3, 1, 0], [0.999, 0.5, 1e-9]], t = [[1, 1, 0], [0, 1, 1]];
    const bce = p.map((row, r) => -row.reduce((acc, q, j) => acc + t[r]![j]! * Math.log(clip(q) + eps) + (1 - t[r]![j]!) * Math.log(1 - clip(q) + eps), 0) / row.length);
    expectClose(new losses.BinaryCrossentropy({ reduction: "none" }).apply(tensor(t), tensor(p)).dataSync(), bce, 1e-5, 1e-5, "bce");
  });
});

describe("10: out-of-range labels raise instead of giving loss 0", () => {
  const logits = tensor([[1, 2, 3, 4], [0, 0, 0, 0], [1, 1, 1, 1]]);
  it.each([[5, 1], [-1, 2]])("eagerly: label %i at position %i with 4 classes", (bad, pos) => {
    const labels = [0, 1, 2];
    labels[pos] = bad;
    for (const fromLogits of [true, false]) {
      const l = new losses.SparseCategoricalCrossentropy({ fromLogits });
      expect(() => l.apply(tensor(labels, [3], "i32"), fromLogits ? logits : logits.softmax())).toThrow(new RegExp(`label ${bad} at position \\[${pos}\\] is outside \\[0, 4\\) \\(4 classes\\)`));
    }
  });
  it("compiled: the loss is NaN for a bad row (as TF on GPU), and checkNumerics raises on it", () => {
    const l = new losses.SparseCategoricalCrossentropy({ fromLogits: true });
    const step = fn((y: Tensor, z: Tensor) => l.apply(y, z), { backend: "js" });
    expect(step(tensor([0, 5, 2], [3], "i32"), logits).item()).toBeNaN();
    expect(step(tensor([0, 1, 2], [3], "i32"), logits).item()).toBeCloseTo(new losses.SparseCategoricalCrossentropy({ fromLogits: true }).apply(tensor([0, 1, 2], [3], "i32"), logits).item(), 6);
    const checked = fn((y: Tensor, z: Tensor) => l.apply(y, z), { backend: "interp", checkNumerics: true });
    expect(() => checked(tensor([0, -1, 2], [3], "i32"), logits)).toThrow(/NaN/);
  });
});

describe("11: deserialize rebuilds the seed's constructor(factor) style, or says to add static fromConfig", () => {
  class SeedReg extends regularizers.Regularizer {
    constructor(readonly factor: number) {
      super();
    }
    call(w: Tensor): Tensor {
      return sum(abs(w.mul(this.factor)));
    }
    override getConfig(): Config {
      return { factor: this.factor };
    }
  }
  class FixedReg extends SeedReg {
    static override fromConfig<T>(this: new (f: number) => T, c: Config): T {
      return new this(c.factor as number);
    }
  }
  registerClass(SeedReg, "SeedReg14");
  registerClass(FixedReg, "FixedReg14");

  it("a class without fromConfig fails at deserialize time with a message that says what to add", () => {
    const s = { ...serialize(new SeedReg(0.5)), className: "SeedReg14" };
    expect(() => deserialize(s)).toThrow(/SeedReg14.*getConfig\(\).*\{"factor":0\.5\}.*static fromConfig/s);
  });
  it("a static fromConfig is used, and the rebuilt object's config is checked", () => {
    const back = deserialize<FixedReg>({ ...serialize(new FixedReg(0.5)), className: "FixedReg14" });
    expect(back.factor).toBe(0.5);
    expect(back.apply(tensor([-2, 4])).item()).toBe(3);
  });
});
