/** @file Regression tests for wrong gradients an outside audit found (issue 14, items 1-5), against tf.grad and float64 formulas. */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import {
  customGradient, elu, fn, grad, gradients, layers, leakyRelu, logSigmoid, optimizers, softplus, tensor, variable, losses, regularizers, type Tensor,
} from "../../src/index.js";

tf.setBackend("cpu");
const arr = (t: Tensor): number[] => Array.from(t.dataSync());
const BACKENDS = ["interp", "js", "tfjs"] as const;

/** d sum(f(x)) / dx eagerly and compiled on every backend; each must equal `want` elementwise. */
function everyMode(f: (x: Tensor) => Tensor, x: number[], want: readonly number[], tol = 1e-6): void {
  const modes: [string, number[]][] = [["eager", arr(grad((t: Tensor) => f(t).sum())(tensor(x)) as Tensor)]];
  for (const backend of BACKENDS) {
    const step = fn((t: Tensor) => gradients(f(t).sum(), t), { backend });
    modes.push([backend, arr(step(tensor(x)) as Tensor)]);
  }
  for (const [mode, got] of modes) {
    got.forEach((g, i) => expect(Math.abs(g - want[i]!), `${mode}: element ${i} (x=${x[i]}): got ${g}, want ${want[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i]!))));
  }
}

const tfGrad = (f: (x: tf.Tensor) => tf.Tensor, x: number[]): number[] => Array.from(tf.grad((t: tf.Tensor) => f(t).sum())(tf.tensor(x)).dataSync());

describe("1: eager reads of variable.value are tracked", () => {
  it("gradients(w.value.square().sum(), [w]) is 2w", () => {
    const w = variable(tensor([1.5, -2, 3]), { name: "w_value" });
    expect(arr(gradients(w.value.square().sum(), [w])[0]!)).toEqual([3, -4, 6]);
  });

  it("an eager loop gets the regularization penalty's gradient (model.losses style)", () => {
    const w = variable(tensor([0.5, -1]), { name: "w_reg" });
    const reg = new regularizers.L2({ l2: 0.1 });
    const penalty = reg.apply(w.value); // what a layer's `losses` holds
    const [g] = gradients(w.value.mul(2).sum().add(penalty), [w]);
    // d/dw (2 sum w + 0.1 sum w^2) = 2 + 0.2 w
    arr(g!).forEach((v, i) => expect(v).toBeCloseTo(2 + 0.2 * [0.5, -1][i]!, 6));
  });

  it("a snapshot keeps the value it was read at", () => {
    const w = variable(tensor([2]), { name: "w_snap" });
    const y = w.value.square();
    w.assign(tensor([5]));
    expect(arr(gradients(y.sum(), [w])[0]!)).toEqual([4]);
  });
});

describe("2-3: softplus, elu, log-sigmoid: kinks and overflow in unselected branches", () => {
  const pts = [0, -1, 1, -3, 2.5, 89, 100, -100];

  it("softplus'(x) = sigmoid(x), 0.5 at 0 (tf.grad), finite at +-100", () => {
    everyMode(softplus, pts, tfGrad(tf.softplus, pts));
    expect(tfGrad(tf.softplus, [0])).toEqual([0.5]);
  });

  it("softplus'' at 0 is 0.25 (grad of grad)", () => {
    const d2 = grad((x: Tensor) => (grad((y: Tensor) => softplus(y).sum())(x) as Tensor).sum())(tensor([0, 1]));
    const s1 = 1 / (1 + Math.exp(-1));
    expect(arr(d2 as Tensor)[0]).toBeCloseTo(0.25, 6);
    expect(arr(d2 as Tensor)[1]).toBeCloseTo(s1 * (1 - s1), 6);
  });

  it("BinaryCrossentropy from logits at logit 0 has gradient (0.5 - y)/n", () => {
    const y = tensor([[0], [1], [1], [0]]);
    const loss = new losses.BinaryCrossentropy({ fromLogits: true });
    const g = grad((z: Tensor) => loss.apply(y, z))(tensor([[0], [0], [0], [0]])) as Tensor;
    expect(arr(g)).toEqual([0.125, -0.125, -0.125, 0.125]);
    const tfg = tf.grad((z: tf.Tensor) => tf.losses.sigmoidCrossEntropy(tf.tensor([[0], [1], [1], [0]]), z))(tf.zeros([4, 1]));
    expect(arr(g)).toEqual(Array.from(tfg.dataSync()));
  });

  it("elu's gradient is finite at 89 and 100 in f32 (tf.grad), 1 at 0 as TF's EluGrad", () => {
    everyMode(elu, pts, tfGrad(tf.elu, pts));
    expect(tfGrad(tf.elu, [0])).toEqual([1]);
  });

  it("logSigmoid' = sigmoid(-x) at +-100 and 0 (tf.logSigmoid)", () => {
    everyMode(logSigmoid, pts, tfGrad(tf.logSigmoid, pts));
    expect(arr(logSigmoid(tensor([-100, 0, 100])))).toEqual(Array.from(tf.logSigmoid(tf.tensor([-100, 0, 100])).dataSync()));
  });
});

describe("4: leakyRelu is where(x > 0, x, alpha x)", () => {
  it("values for alpha > 1 and alpha < 0 agree with tf.leakyRelu", () => {
    for (const a of [2, -0.5, 0.2]) {
      // (+0 and -0 at x = 0 count as equal: TF's own kernel gives alpha * 0 there)
      expect(arr(leakyRelu(tensor([-1, 1, 0, -3]), a)).map((v) => v + 0)).toEqual(Array.from(tf.leakyRelu(tf.tensor([-1, 1, 0, -3]), a).dataSync()).map((v) => v + 0));
    }
  });
  it("its gradient at 0 is alpha (TF's LeakyReluGrad), on every backend", () => {
    for (const a of [0.2, 2, -0.5]) everyMode((x) => leakyRelu(x, a), [0, -1, 1], [a, a, 1]);
  });
  it("defaults: tf.leakyRelu's 0.2 for the function", () => {
    expect(arr(leakyRelu(tensor([-1])))[0]).toBeCloseTo(-0.2, 7);
  });
});

describe("5: a customGradient inside another customGradient's gradFunc keeps its rule at second order", () => {
  // inner's true derivative is 2; its rule says 100 x
  const inner = customGradient((x: Tensor) => ({ value: x.mul(2), gradFunc: (dy: Tensor) => dy.mul(x).mul(100) }));
  // outer(x) = x^2, with gradFunc dy * inner(x) (= 2x dy, the true derivative)
  const outer = customGradient((x: Tensor) => ({ value: x.square(), gradFunc: (dy: Tensor) => dy.mul(inner(x)) }));
  const d1 = (x: Tensor): Tensor => grad((t: Tensor) => outer(t).sum())(x) as Tensor;

  it("eagerly", () => {
    expect(arr(d1(tensor([3])))).toEqual([6]);
    expect(arr(grad((x: Tensor) => d1(x).sum())(tensor([3])) as Tensor)).toEqual([300]);
  });
  it.each(BACKENDS)("inside fn on %s", (backend) => {
    const step = fn((x: Tensor) => gradients(d1(x).sum(), x), { backend });
    expect(arr(step(tensor([3])) as Tensor)).toEqual([300]);
  });
  it("a third order sees the rule too", () => {
    const d2 = (x: Tensor): Tensor => grad((t: Tensor) => d1(t).sum())(x) as Tensor;
    expect(arr(grad((x: Tensor) => d2(x).sum())(tensor([3])) as Tensor)).toEqual([100]);
  });
});

describe("3: norms at 0 (clipByNorm, clipByGlobalNorm) have finite gradients", () => {
  it("clipByNorm(0) has gradient 1 (the identity below the threshold; TF's clip_by_norm)", () => {
    everyMode((t) => optimizers.clipByNorm(t, 1), [0, 0, 0], [1, 1, 1]);
  });
  it("clipByGlobalNorm of zeros has gradient 1", () => {
    everyMode((t) => optimizers.clipByGlobalNorm([t, t.mul(2)], 1)[0][1]!, [0, 0], [2, 2]);
  });
  it("above the threshold it is the float64 formula c (I/n - t t^T/n^3) summed", () => {
    // d/dt_i sum_j c t_j / |t| = c/|t| - c t_i sum_j t_j / |t|^3
    const t = [3, 4], n = 5, s = 7;
    everyMode((x) => optimizers.clipByNorm(x, 1), t, t.map((ti) => 1 / n - (ti * s) / n ** 3), 1e-5);
  });
});

describe("4: Keras's LeakyReLU layer defaults to 0.3", () => {
  it("layer 0.3, function 0.2", () => {
    expect(arr(new layers.LeakyReLU().apply(tensor([[-1]])) as Tensor)[0]).toBeCloseTo(-0.3, 7);
    expect(arr(new layers.LeakyReLU({ alpha: 2 }).apply(tensor([[-1, 1]])) as Tensor)).toEqual([-2, 1]);
  });
});

describe("3: Huber and clipByValue at their kinks agree with tfjs", () => {
  it("huber at e = 0 and |e| = delta (tf.losses.huberLoss)", () => {
    const yT = [[0, 0, 0, 0, 0]];
    const p = [[0, 1, -1, 0.5, 3]];
    const g = grad((z: Tensor) => new losses.Huber().apply(tensor(yT), z))(tensor(p)) as Tensor;
    const tg = tf.grad((z: tf.Tensor) => tf.losses.huberLoss(tf.tensor(yT), z, undefined, 1, tf.Reduction.MEAN))(tf.tensor(p));
    arr(g).forEach((v, i) => expect(v).toBeCloseTo(tg.dataSync()[i]!, 6));
  });
  it("clipByValue's gradient is 1 on the closed interval, 0 outside (tf.clipByValue)", () => {
    const x = [-2, -1, 0, 1, 2];
    everyMode((t) => t.clipByValue(-1, 1), x, tfGrad((t) => tf.clipByValue(t, -1, 1), x));
  });
});
