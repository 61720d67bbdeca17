/** @file Checkpoints: a save/restore round trip resumes training exactly; a fresh model and optimizer restore
 * (slots included); mismatched checkpoints fail with a clear error. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Checkpoint, CheckpointError, fn, gradients, initializers, layers, losses, metrics, optimizers, tensor, type Tensor } from "../../src/index.js";
import { rng, uniform } from "./helpers.js";

const dir = mkdtempSync(path.join(tmpdir(), "graft-ckpt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x = tensor(uniform(rng(9), 16 * 6), [16, 6]);
const y = tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 3));

function setup(seed: number, units = 8, opt: optimizers.Optimizer = new optimizers.Adam({ learningRate: 0.05 })) {
  initializers.setRandomSeed(seed);
  const model = new layers.Sequential([
    new layers.Dense({ units, activation: "relu", inputShape: [6], kernelRegularizer: "l2" }),
    new layers.Dropout({ rate: 0.3 }),
    new layers.Dense({ units: 3 }),
  ]);
  const acc = new metrics.SparseCategoricalAccuracy();
  const lossFn = new losses.SparseCategoricalCrossentropy({ fromLogits: true });
  const step = fn((xb: Tensor, yb: Tensor) => {
    const logits = model.apply(xb, { training: true });
    const loss = lossFn.apply(yb, logits).add(model.losses[0]!);
    const vars = model.trainableVariables;
    opt.applyGradients(optimizers.zip(gradients(loss, vars), vars));
    acc.updateState(yb, logits);
    return loss;
  }, process.env.CKPT_BACKEND ? { backend: process.env.CKPT_BACKEND } : {});
  const run = (n: number): number[] => Array.from({ length: n }, () => step(x, y).item());
  return { model, opt, acc, run, ckpt: new Checkpoint({ model, optimizer: opt, accuracy: acc }) };
}

const snapshot = (s: ReturnType<typeof setup>): number[][] => [...s.model.variables, ...s.opt.variables, ...s.acc.variables].map((v) => Array.from(v.dataSync()));

describe("checkpoints", () => {
  it("restoring resumes training exactly (in place, and into a fresh model and optimizer)", () => {
    const a = setup(1);
    a.run(3);
    const files = a.ckpt.save(path.join(dir, "run"));
    expect(files.manifest.endsWith("run.json")).toBe(true);
    const lossesA = a.run(3);
    const stateA = snapshot(a);

    a.ckpt.restore(path.join(dir, "run"));
    expect(a.opt.iterations.item()).toBe(3);
    expect(a.run(3)).toEqual(lossesA);
    expect(snapshot(a)).toEqual(stateA);

    const b = setup(99); // different initial weights, no optimizer slots yet
    expect(b.opt.variables.length).toBe(2);
    b.ckpt.restore(path.join(dir, "run"));
    expect(b.opt.variables.length).toBe(2 + 2 * 4); // m and v for each of the 4 trainable variables
    expect(b.run(3)).toEqual(lossesA);
    expect(snapshot(b)).toEqual(stateA);
  });

  it("a mismatched checkpoint fails with a clear error and changes nothing", () => {
    const a = setup(2);
    a.run(1);
    a.ckpt.save(path.join(dir, "small"));
    const wide = setup(3, 16);
    // (restore may create the optimizer's zero slots before it finds the mismatch; variables keep their values)
    const values = () => [...wide.model.variables, ...wide.acc.variables, wide.opt.iterations].map((v) => Array.from(v.dataSync()));
    const before = values();
    expect(() => wide.ckpt.restore(path.join(dir, "small"))).toThrow(CheckpointError);
    expect(() => wide.ckpt.restore(path.join(dir, "small"))).toThrow(/model\/layers\.0\.kernel: f32\[6,8\] in the file, f32\[6,16\] here/);
    expect(values()).toEqual(before);
    const sgd = setup(4, 8, new optimizers.SGD({ momentum: 0.9 }));
    expect(() => sgd.ckpt.restore(path.join(dir, "small"))).toThrow(/in the file but not here: optimizer\/slots\/model\/layers\.0\.kernel\/m/);
    expect(() => sgd.ckpt.restore(path.join(dir, "nothing-here"))).toThrow(/checkpoint manifest .*nothing-here\.json not found/);
  });
});
