/** @file Whole training steps on ONNX Runtime: the W1 MLP (Adam), the seed's sign-agreement SGD, CustomMSE,
 * CustomRegularizer and dropout's random mask: exported and checked, run for several steps, equal to the js backend. */
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { Checkpoint, exportONNX, fn, metrics, layers, losses, matmul, mean, optimizers, tensor, variable, type CompiledFn, type Tensor, type Variable } from "../../src/index.js";
import { SignAgreementSGD } from "../../examples/custom-optimizer.js";
import { CustomMSE } from "../../examples/custom-loss.js";
import { CustomRegularizer } from "../../examples/custom-regularizer.js";
import { mlpCase } from "../../bench/peers/mlp.js";
import { MLP_FULL, mlpBatch } from "../../bench/data.js";
import { graftMlp } from "../../bench/graft-mlp.js";
import { rng } from "../codegen-js/harness.js";
import { checkModels } from "./helpers.js";

interface Model {
  readonly vars: Variable[];
  readonly step: (...xs: Tensor[]) => Tensor;
}
const exported: { name: string; bytes: Uint8Array }[] = [];

const randn = (shape: number[], seed: number): Tensor => {
  const r = rng(seed);
  return tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape);
};

/** Runs `steps` steps of a fresh model on js and on onnx; losses and every variable agree within f32 tolerance. */
function sameOnBothBackends(name: string, make: () => Model, args: Tensor[][], tol = 2e-4): void {
  const runs = (["js", "onnx"] as const).map((backend) => {
    const m = make();
    const step = fn(m.step, { backend, name }) as CompiledFn<Tensor[], Tensor>;
    const lossesSeen = args.map((a) => step(...a).item());
    if (backend === "onnx") exported.push({ name, bytes: exportONNX(step, ...args[0]!) });
    return { lossesSeen, vars: m.vars.map((v) => Array.from(v.dataSync())) };
  });
  const [js, onnx] = runs as [typeof runs[0], typeof runs[0]];
  onnx.lossesSeen.forEach((l, i) => expect(Math.abs(l - js.lossesSeen[i]!), `${name}: loss at step ${i + 1}: onnx ${l}, js ${js.lossesSeen[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(js.lossesSeen[i]!))));
  onnx.vars.forEach((v, k) => v.forEach((x, i) => {
    const want = js.vars[k]![i]!;
    if (Math.abs(x - want) > tol * (1 + Math.abs(want))) expect.fail(`${name}: variable ${k} element ${i}: onnx ${x}, js ${want}`);
  }));
  // the losses really moved (a step that does nothing would agree trivially)
  expect(new Set(js.lossesSeen).size).toBeGreaterThan(1);
}

const linear = (nIn: number, nOut: number, seed: number) => ({ w: variable(randn([nIn, nOut], seed).mul(0.5), { name: "w" }), b: variable(tensor(new Float32Array(nOut)), { name: "b" }) });
const X = randn([16, 5], 101), Y = randn([16, 3], 102);

describe("training steps on the onnx backend equal the js backend", () => {
  it("W1: the MLP step (784-256-256-10, Adam, softmax cross-entropy)", () => {
    const c = mlpCase(MLP_FULL);
    const batch = mlpBatch(MLP_FULL);
    const x = tensor(batch.x, [MLP_FULL.batch, 784]), y = tensor(batch.y, [MLP_FULL.batch], "i32");
    sameOnBothBackends("w1_mlp", () => {
      const m = graftMlp(c);
      return { vars: [...m.params, ...m.opt.variables], step: (a, b) => m.stepFn(a, b) };
    }, [[x, y], [x, y], [x, y], [x, y]]);
  });

  it("the seed's sign-agreement SGD (two slots, in-graph first step)", () => {
    sameOnBothBackends("sign_agreement", () => {
      const { w, b } = linear(5, 3, 1);
      const opt = new SignAgreementSGD({ lr: 0.05 });
      return { vars: [w, b, ...opt.variables], step: (x, y) => opt.minimize(() => mean(losses.meanSquaredError(y!, matmul(x!, w).add(b))), [w, b]) };
    }, [[X, Y], [X, Y], [X, Y], [X, Y], [X, Y]]);
  });

  it("CustomMSE with Adam", () => {
    sameOnBothBackends("custom_loss", () => {
      const { w, b } = linear(5, 3, 2);
      const opt = new optimizers.Adam({ learningRate: 0.01 });
      const loss = new CustomMSE();
      return { vars: [w, b, ...opt.variables], step: (x, y) => opt.minimize(() => loss.apply(y!, matmul(x!, w).add(b)), [w, b]) };
    }, [[X, Y], [X, Y], [X, Y], [X, Y]]);
  });

  it("CustomRegularizer's penalty added to the loss, with SGD momentum", () => {
    sameOnBothBackends("custom_regularizer", () => {
      const { w, b } = linear(5, 3, 3);
      const opt = new optimizers.SGD({ learningRate: 0.05, momentum: 0.9 });
      const reg = new CustomRegularizer(0.01);
      return { vars: [w, b, ...opt.variables], step: (x, y) => opt.minimize(() => mean(losses.meanSquaredError(y!, matmul(x!, w).add(b))).add(reg.call(w)), [w, b]) };
    }, [[X, Y], [X, Y], [X, Y], [X, Y]]);
  });

  it("dropout: the random mask has the same bits as on js (keys from a state counter, bits fed from the host)", () => {
    sameOnBothBackends("dropout", () => {
      const { w, b } = linear(5, 3, 4);
      const drop = new layers.Dropout({ rate: 0.5, seed: 9 });
      const opt = new optimizers.SGD({ learningRate: 0.1 });
      return { vars: [w, b, ...drop.nonTrainableVariables], step: (x, y) => opt.minimize(() => mean(losses.meanSquaredError(y!, drop.apply(matmul(x!, w), { training: true }).add(b))), [w, b]) };
    }, [[X, Y], [X, Y], [X, Y]]);
  });

  it("checkpoints and metrics work with the onnx backend: restoring resumes the exact trajectory", () => {
    const { w, b } = linear(5, 3, 5);
    const opt = new optimizers.Adam({ learningRate: 0.05 });
    opt.build([w, b]);
    const step = fn((x: Tensor, y: Tensor) => opt.minimize(() => mean(losses.meanSquaredError(y, matmul(x, w).add(b))), [w, b]), { backend: "onnx" });
    const meanLoss = new metrics.Mean();
    for (let i = 0; i < 2; i++) meanLoss.updateState(step(X, Y));
    const prefix = `${tmpdir()}/graft-onnx-ckpt-${process.pid}`;
    new Checkpoint({ w, b, optimizer: opt }).save(prefix);
    const after = [step(X, Y).item(), step(X, Y).item()];
    new Checkpoint({ w, b, optimizer: opt }).restore(prefix);
    const again = [step(X, Y).item(), step(X, Y).item()];
    expect(again).toEqual(after);
    expect(opt.iterations.item()).toBe(4);
    expect(meanLoss.result().item()).toBeGreaterThan(after[1]!);
  });

  it("results are finished tensors: dataSync() and await data() agree, calls run in order, threads are validated", async () => {
    const acc = variable(tensor([0]), { name: "acc" });
    const add = fn((x: Tensor) => {
      acc.assign(acc.add(x));
      return acc.value.mul(2);
    }, { backend: "onnx", threads: 1 });
    const outs = [1, 2, 3].map((k) => add(tensor([k])));
    expect(outs.map((t) => t.dataSync()[0])).toEqual([2, 6, 12]);
    expect(await Promise.all(outs.map(async (t) => (await t.data())[0]))).toEqual([2, 6, 12]);
    expect(acc.dataSync()[0]).toBe(6);
    const bad = fn((x: Tensor) => x.add(1), { backend: "onnx", threads: 0 });
    expect(() => bad(tensor([1]))).toThrow(/onnx backend: threads must be an integer from 1 to 256 or "auto", got 0/);
  });

  afterAll(() => {
    expect(exported.length).toBe(5);
    expect(checkModels(exported)).toEqual([]);
  });
});
