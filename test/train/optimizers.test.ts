/** @file Every built-in optimizer's first steps against TensorFlow.js's tf.train.* (AdamW against its formula). */
import { describe, expect, it } from "vitest";
import type * as TF from "@tensorflow/tfjs";
import { fn, tensor, variable, type Tensor, type Variable } from "../../src/index.js";
import { optimizers } from "../../src/index.js";
import { expectClose, rng, tfReady, uniform } from "./helpers.js";

const SHAPES = [[3, 4], [4]];
/** The default backend (js) unless OPT_BACKEND names another. */
const BACKEND = process.env.OPT_BACKEND ? { backend: process.env.OPT_BACKEND } : {};
const STEPS = 5;

/** Initial values and STEPS sets of gradients, the same for graft and tfjs. */
function problem(seed: number) {
  const r = rng(seed);
  const init = SHAPES.map((s) => uniform(r, s.reduce((a, b) => a * b, 1)));
  const grads = Array.from({ length: STEPS }, () => SHAPES.map((s) => uniform(r, s.reduce((a, b) => a * b, 1), -2, 2)));
  return { init, grads };
}

/** Runs graft's optimizer for STEPS steps (eagerly or inside one compiled step) and returns each step's values. */
function runGraft(make: () => optimizers.Optimizer, seed: number, mode: "eager" | "fn"): Float32Array[][] {
  const { init, grads } = problem(seed);
  const vars = init.map((d, i) => variable(tensor(d, SHAPES[i]!)));
  const opt = make();
  const step = fn((gs: Tensor[]) => opt.applyGradients(gs.map((g, i) => [g, vars[i]!] as const)), BACKEND);
  const out: Float32Array[][] = [];
  for (const gs of grads) {
    const ts = gs.map((g, i) => tensor(g, SHAPES[i]!));
    if (mode === "fn") step(ts);
    else opt.applyGradients(optimizers.zip(ts, vars));
    out.push(vars.map((v) => v.dataSync() as Float32Array));
  }
  expect(opt.iterations.item()).toBe(STEPS);
  if (mode === "fn") {
    // the whole update fuses: one kernel per variable computes its slots and its new value together
    const fused = step.graph("fused").nodes.filter((n) => n.outputs.some((o) => o.shape.length > 0));
    expect(fused.map((n) => n.op)).toEqual(vars.map(() => "fusion"));
  }
  return out;
}

function runTfjs(tf: typeof TF, make: () => TF.Optimizer, seed: number): Float32Array[][] {
  const { init, grads } = problem(seed);
  const vars = init.map((d, i) => tf.variable(tf.tensor(d, SHAPES[i]!)));
  const opt = make();
  const out: Float32Array[][] = [];
  for (const gs of grads) {
    opt.applyGradients(Object.fromEntries(gs.map((g, i) => [vars[i]!.name, tf.tensor(g, SHAPES[i]!)])));
    out.push(vars.map((v) => v.dataSync() as Float32Array));
  }
  return out;
}

const cases: [string, () => optimizers.Optimizer, (tf: typeof TF) => TF.Optimizer][] = [
  ["SGD", () => new optimizers.SGD({ learningRate: 0.1 }), (tf) => tf.train.sgd(0.1)],
  ["SGD momentum", () => new optimizers.SGD({ learningRate: 0.1, momentum: 0.9 }), (tf) => tf.train.momentum(0.1, 0.9)],
  ["SGD nesterov", () => new optimizers.SGD({ learningRate: 0.05, momentum: 0.8, nesterov: true }), (tf) => tf.train.momentum(0.05, 0.8, true)],
  // tfjs's own formulas are named options (Keras's are the defaults: test/train/keras-truth.test.ts)
  ["Adam", () => new optimizers.Adam({ learningRate: 0.01, formula: "tfjs" }), (tf) => tf.train.adam(0.01)],
  ["Adam betas", () => new optimizers.Adam({ learningRate: 0.02, beta1: 0.8, beta2: 0.95, epsilon: 1e-3, formula: "tfjs" }), (tf) => tf.train.adam(0.02, 0.8, 0.95, 1e-3)],
  ["RMSprop", () => new optimizers.RMSprop({ learningRate: 0.01, formula: "tfjs" }), (tf) => tf.train.rmsprop(0.01)],
  ["RMSprop momentum", () => new optimizers.RMSprop({ learningRate: 0.01, rho: 0.8, momentum: 0.5 }), (tf) => tf.train.rmsprop(0.01, 0.8, 0.5)],
  ["RMSprop centered", () => new optimizers.RMSprop({ learningRate: 0.01, momentum: 0.3, centered: true }), (tf) => tf.train.rmsprop(0.01, 0.9, 0.3, null as never, true)],
  ["Adagrad", () => new optimizers.Adagrad({ learningRate: 0.1 }), (tf) => tf.train.adagrad(0.1)],
  ["Adagrad init", () => new optimizers.Adagrad({ learningRate: 0.1, initialAccumulatorValue: 0.5 }), (tf) => tf.train.adagrad(0.1, 0.5)],
];

describe("optimizers match tf.train.* for 5 steps", () => {
  cases.forEach(([name, mine, theirs], k) => {
    it(name, async () => {
      const tf = await tfReady();
      const ref = runTfjs(tf, () => theirs(tf), 100 + k);
      for (const mode of ["eager", "fn"] as const) {
        const got = runGraft(mine, 100 + k, mode);
        got.forEach((vs, s) => vs.forEach((v, i) => expectClose(v, ref[s]![i]!, 1e-5, 0, `${name} (${mode}) step ${s + 1} var ${i}`)));
      }
    });
  });

  it("AdamW matches the decoupled-decay formula", () => {
    const lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-7;
    const { init, grads } = problem(7);
    const got = runGraft(() => new optimizers.AdamW({ learningRate: lr, weightDecay: wd }), 7, "fn");
    const w = init.map((d) => Float64Array.from(d));
    const m = w.map((x) => new Float64Array(x.length));
    const v = w.map((x) => new Float64Array(x.length));
    grads.forEach((gs, s) => {
      const t = s + 1;
      gs.forEach((g, i) => {
        for (let j = 0; j < g.length; j++) {
          m[i]![j] = b1 * m[i]![j]! + (1 - b1) * g[j]!;
          v[i]![j] = b2 * v[i]![j]! + (1 - b2) * g[j]! ** 2;
          const mh = m[i]![j]! / (1 - b1 ** t);
          const vh = v[i]![j]! / (1 - b2 ** t);
          w[i]![j] = w[i]![j]! - lr * wd * w[i]![j]! - (lr * mh) / (Math.sqrt(vh) + eps);
        }
        expectClose(got[s]![i]!, w[i]!, 1e-5, 0, `AdamW step ${t} var ${i}`);
      });
    });
  });
});

describe("optimizer machinery", () => {
  it("learning-rate schedules follow their formulas, in-graph from the counter", () => {
    const exp = new optimizers.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    const stair = new optimizers.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    const cosd = new optimizers.CosineDecay({ initialLearningRate: 0.1, decaySteps: 20, alpha: 0.1 });
    const inv = new optimizers.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    const inv2 = optimizers.InverseTimeDecay.fromConfig(inv.getConfig());
    expect(() => new optimizers.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 })).toThrow("InverseTimeDecay: decaySteps must be > 0");
    for (const s of [0, 5, 15, 30]) {
      expect(inv2.apply(s).item()).toBeCloseTo(0.1 / (1 + 0.5 * Math.floor(s / 10)), 6);
      expect(exp.apply(s).item()).toBeCloseTo(0.1 * 0.5 ** (s / 10), 6);
      expect(stair.apply(s).item()).toBeCloseTo(0.1 * 0.5 ** Math.floor(s / 10), 6);
      const c = 0.5 * (1 + Math.cos((Math.PI * Math.min(s, 20)) / 20));
      expect(cosd.apply(s).item()).toBeCloseTo(0.1 * ((1 - 0.1) * c + 0.1), 6);
    }
    // SGD with a schedule: step k uses lr(k), k = steps taken before it
    const w = variable(tensor([1]));
    const opt = new optimizers.SGD({ learningRate: exp });
    const step = fn((g: Tensor) => opt.applyGradients([[g, w]]), BACKEND);
    let ref = 1;
    for (let k = 0; k < 4; k++) {
      step(tensor([1]));
      ref -= 0.1 * 0.5 ** (k / 10);
    }
    expect(w.item()).toBeCloseTo(ref, 6);
  });

  it("legacy decay divides by (1 + decay * iterations); learningRate can change between steps", () => {
    const w = variable(tensor([0]));
    const opt = new optimizers.SGD({ lr: 0.5, decay: 0.25 });
    const step = fn((g: Tensor) => opt.applyGradients([[g, w]]), BACKEND);
    step(tensor([1]));
    step(tensor([1]));
    expect(w.item()).toBeCloseTo(-(0.5 + 0.5 / 1.25), 6);
    opt.learningRate = 1;
    step(tensor([1])); // the compiled step reads the rate from its variable: no retrace
    expect(w.item()).toBeCloseTo(-(0.5 + 0.5 / 1.25 + 1 / 1.5), 6);
    expect(step.traces.length).toBe(1);
  });

  it("clips by value, by norm and by global norm", () => {
    const run = (o: optimizers.OptimizerOptions, g: number[][]): number[][] => {
      const vs = g.map((x) => variable(tensor(new Float32Array(x.length))));
      new optimizers.SGD({ learningRate: 1, ...o }).applyGradients(g.map((x, i) => [tensor(x), vs[i]!]));
      return vs.map((v) => Array.from(v.dataSync(), (x) => -x));
    };
    expectClose(run({ clipValue: 0.5 }, [[2, -0.25, -3]]).flat(), [0.5, -0.25, -0.5]);
    expectClose(run({ clipNorm: 1 }, [[3, 4], [0.3, 0.4]]).flat(), [0.6, 0.8, 0.3, 0.4]);
    // global norm of [3,4] and [12] is 13
    expectClose(run({ globalClipNorm: 6.5 }, [[3, 4], [12]]).flat(), [1.5, 2, 6]);
  });

  it("sparse gradients: built-ins densify, a rule without sparse support says so", () => {
    const w = variable(tensor([[1, 1], [1, 1], [1, 1]]));
    const g = new optimizers.IndexedSlices(tensor([2, 0, 2], undefined, "i32"), tensor([[1, 2], [3, 4], [5, 6]]), [3, 2]);
    new optimizers.SGD({ learningRate: 0.1 }).applyGradients([[g, w]]);
    expectClose(w.dataSync(), [0.7, 0.6, 1, 1, 0.4, 0.2]);
    const ada = new optimizers.Adagrad();
    expect(() => ada.applyGradients([[g, w]])).toThrow(/sparse \(gather\) gradients are not supported by Adagrad/);
  });

  it("getConfig / fromConfig round-trip, schedules included", () => {
    const sched = new optimizers.CosineDecay({ initialLearningRate: 0.3, decaySteps: 100 });
    for (const o of [new optimizers.Adam({ learningRate: 0.02, beta2: 0.99, clipNorm: 2 }), new optimizers.SGD({ learningRate: sched, momentum: 0.5 }), new optimizers.RMSprop({ centered: true })]) {
      const cfg = o.getConfig();
      const back = (o.constructor as typeof optimizers.Optimizer & { fromConfig(c: unknown): optimizers.Optimizer }).fromConfig(JSON.parse(JSON.stringify(cfg)));
      expect(back.getConfig()).toEqual(cfg);
      expect(back.constructor).toBe(o.constructor);
    }
  });

  it("minimize: loss, gradients and update, eagerly and inside fn", () => {
    // f(w) = sum((w - 3)^2): one SGD step of lr 0.25 from w moves it halfway to 3
    const w = variable(tensor([1, 5]));
    const opt = new optimizers.SGD({ learningRate: 0.25 });
    const loss = () => w.sub(3).square().sum();
    expect(opt.minimize(loss, [w]).item()).toBeCloseTo(8, 6);
    expectClose(w.dataSync(), [2, 4], 1e-6);
    const step = fn(() => opt.minimize(loss, [w]), BACKEND);
    expect(step().item()).toBeCloseTo(2, 6);
    expectClose(w.dataSync(), [2.5, 3.5], 1e-6);
    expect(opt.iterations.item()).toBe(2);
  });

  it("rejects a gradient of the wrong shape with a clear error", () => {
    const w: Variable = variable(tensor([1, 2, 3]));
    expect(() => new optimizers.SGD().applyGradients([[tensor([1, 2]), w]])).toThrow(/gradient of shape \[2\] for variable '.*' of shape \[3\]/);
  });
});
