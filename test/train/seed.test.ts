/** @file The seed document's three custom pieces: the sign-agreement SGD (against a hand-computed
 * trajectory), CustomMSE and CustomRegularizer, each compiled inside fn and fused into one step. */
import { describe, expect, it } from "vitest";
import { deserialize, fn, gradients, GraftError, layers, optimizers, serialize, tensor, variable, type Tensor } from "../../src/index.js";
import { SignAgreementSGD } from "../../examples/custom-optimizer.js";
import { CustomMSE } from "../../examples/custom-loss.js";
import { CustomRegularizer } from "../../examples/custom-regularizer.js";
import { expectClose } from "./helpers.js";

const hasFusion = (g: { nodes: readonly { op: string }[] }): boolean => g.nodes.some((n) => n.op === "fusion");

describe("seed: sign-agreement SGD", () => {
  // lr 0.1. a = [1, -2], gradients [1,1], [1,-1], [-2,-1], [0,3]; b = [[2]], gradients 1, -1, -1, 1.
  //  step 1 (first, plain SGD):  a = [0.9, -2.1]                     b = 1.9
  //  step 2: a: m = [0.8, -2.0], signs agree [yes, no], avg(pv=a0, a1) = [0.95, -2.05] -> [0.8, -2.05]
  //          b: m = 2.0, 1*-1 < 0 -> avg(2, 1.9) = 1.95
  //  step 3: a: m = [1.0, -1.95], agree [no (-2*1), yes (-1*-1)], avg(a1, a2) = [0.85, -2.075] -> [0.85, -1.95]
  //          b: m = 2.05, agree -> 2.05
  //  step 4: a: m = [0.85, -2.25], agree [yes (0 >= 0), no (3*-1)], avg(a2, a3) = [0.825, -2.0] -> [0.85, -2.0]
  //          b: m = 1.95, disagree -> avg(1.95, 2.05) = 2.0
  const gradsA = [[1, 1], [1, -1], [-2, -1], [0, 3]];
  const gradsB = [1, -1, -1, 1];
  const wantA = [[0.9, -2.1], [0.8, -2.05], [0.85, -1.95], [0.85, -2.0]];
  const wantB = [1.9, 1.95, 2.05, 2.0];

  it("follows the hand-computed trajectory inside one compiled step (first step decided in-graph)", () => {
    const a = variable(tensor([1, -2]), { name: "a" });
    const b = variable(tensor([[2]]), { name: "b" });
    const opt = new SignAgreementSGD({ lr: 0.1 });
    const step = fn((ga: Tensor, gb: Tensor) => opt.applyGradients([[ga, a], [gb, b]]));
    for (let k = 0; k < 4; k++) {
      step(tensor(gradsA[k]!), tensor([[gradsB[k]!]]));
      expectClose(a.dataSync(), wantA[k]!, 1e-6, 0, `a after step ${k + 1}`);
      expectClose(b.dataSync(), [wantB[k]!], 1e-6, 0, `b after step ${k + 1}`);
    }
    expect(step.traces.length).toBe(1); // one trace served the first step and the later ones
    expect(opt.iterations.item()).toBe(4);
    // both slots on every variable (the seed's loop typo made `pg` for the last variable only)
    expect(opt.slotNames(a)).toEqual(["pv", "pg"]);
    expect(opt.slotNames(b)).toEqual(["pv", "pg"]);
    expect(opt.getSlot(b, "pv").dataSync()).toEqual(Float32Array.from([2.05]));
    const traced = step.ir("traced");
    for (const s of ["a/pv", "a/pg", "b/pv", "b/pg"]) expect(traced).toContain(s);
    expect(hasFusion(step.graph("fused"))).toBe(true);
  });

  it("runs the same eagerly (its own compiled update), with decay, and refuses sparse gradients", () => {
    const b = variable(tensor([2]));
    const opt = new SignAgreementSGD({ learningRate: 0.1, decay: 1 });
    // lr_t = 0.1 / (1 + t): step 1 -> 1.9; step 2 (lr .05): m = 1.95, disagree -> avg(2, 1.9) = 1.95;
    // step 3 (lr .1/3): m = 1.95 + .0333 = 1.98333, agree -> 1.98333
    for (const [g, want] of [[1, 1.9], [-1, 1.95], [-1, 1.95 + 0.1 / 3]] as const) {
      opt.applyGradients([[tensor([g]), b]]);
      expectClose(b.dataSync(), [want], 1e-6);
    }
    const sparse = new optimizers.IndexedSlices(tensor([0], undefined, "i32"), tensor([1]), [1]);
    expect(() => opt.applyGradients([[sparse, b]])).toThrow(GraftError);
    expect(() => opt.applyGradients([[sparse, b]])).toThrow(/sparse \(gather\) gradients are not supported by SignAgreementSGD/);
  });

  it("serializes its hyperparameters (learning_rate alias lr)", () => {
    const opt = new SignAgreementSGD({ lr: 0.25, decay: 0.5 });
    expect(opt.getConfig()).toEqual({ name: "SignAgreementSGD", learningRate: 0.25, decay: 0.5 });
    const back = deserialize<SignAgreementSGD>(JSON.parse(JSON.stringify(serialize(opt))));
    expect(back).toBeInstanceOf(SignAgreementSGD);
    expect(back.getConfig()).toEqual(opt.getConfig());
  });
});

describe("seed: CustomMSE and CustomRegularizer", () => {
  it("CustomMSE gives mean(square(yTrue - yPred)) eagerly and compiled", () => {
    const yT = tensor([[1, 2], [3, 4]]);
    const yP = tensor([[1.5, 2], [2, 6]]);
    const want = (0.25 + 0 + 1 + 4) / 4;
    const loss = new CustomMSE();
    expect(loss.apply(yT, yP).item()).toBeCloseTo(want, 6);
    const f = fn((a: Tensor, p: Tensor) => loss.apply(a, p));
    expect(f(yT, yP).item()).toBeCloseTo(want, 6);
  });

  it("CustomRegularizer's penalty joins the loss and its gradient; config round-trips", () => {
    const reg = new CustomRegularizer(0.1);
    expect(reg.apply(tensor([[1, -2], [3, -4]])).item()).toBeCloseTo(1.0, 6);
    expect(deserialize<CustomRegularizer>(serialize(reg)).factor).toBe(0.1);

    // one Dense layer, kernel fixed to [[1],[-2]]; loss = CustomMSE + penalty; one SGD step by hand:
    // x = [[1, 1]], y = [[0]]: pred = -1, mse = 1, d mse/dW = 2 * (pred - y) * x^T = [[-2], [-2]]
    // penalty 0.1 * (|1| + |-2|) = 0.3, its gradient 0.1 * sign(W) = [[0.1], [-0.1]]
    const dense = new layers.Dense({ units: 1, useBias: false, kernelRegularizer: reg, kernelInitializer: "zeros" });
    dense.ensureBuilt([1, 2]);
    dense.kernel!.assign(tensor([[1], [-2]]));
    const loss = new CustomMSE();
    const opt = new optimizers.SGD({ learningRate: 0.5 });
    const step = fn((x: Tensor, y: Tensor) => {
      const l = loss.apply(y, dense.apply(x)).add(dense.losses[0]!);
      const vars = dense.trainableVariables;
      opt.applyGradients(optimizers.zip(gradients(l, vars), vars));
      return l;
    });
    const l = step(tensor([[1, 1]]), tensor([[0]]));
    expect(l.item()).toBeCloseTo(1.3, 6);
    expectClose(dense.kernel!.dataSync(), [1 - 0.5 * (-2 + 0.1), -2 - 0.5 * (-2 - 0.1)], 1e-6);
    expect(hasFusion(step.graph("fused"))).toBe(true);
  });
});
