/** @file gradients() inside fn and eagerly: markers in the traced stage, values against TensorFlow.js, edge cases. */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { fn, gradients, tensor, variable, GradError, ir, type Tensor } from "../../src/index.js";
import { expandGradients } from "../../src/passes/grad.js";

const close = (a: Tensor, b: tf.Tensor, tol = 1e-5) => {
  const x = a.dataSync(), y = b.dataSync();
  expect(a.shape).toEqual(b.shape);
  x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(y[i]!))));
};

const xs = [[1, 2], [3, 4]], ws = [[0.1, 0.2], [0.3, -0.1]];

describe("gradients()", () => {
  const ref = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.exp(tf.matMul(x, w))))([tf.tensor(xs), tf.tensor(ws)]);

  it("records a marker in the traced stage and expands it in the grad stage", () => {
    const f = fn((x: Tensor, w: Tensor) => gradients(x.matmul(w).exp().sum(), [x, w]), { backend: "interp" });
    const [gx, gw] = f(tensor(xs), tensor(ws));
    expect(f.ir("traced", { locs: false })).toContain("= grad %4, %0, %1");
    expect(f.ir("grad")).not.toContain("= grad ");
    close(gx!, ref[0]!);
    close(gw!, ref[1]!);
  });

  it("works eagerly from lineage", () => {
    const x = tensor(xs), w = tensor(ws);
    const [gx, gw] = gradients(x.matmul(w).exp().sum(), [x, w]);
    close(gx!, ref[0]!);
    close(gw!, ref[1]!);
  });

  it("differentiates with respect to variables (their value as read) inside fn", () => {
    const w = variable(tensor(ws), { name: "w" });
    const f = fn((x: Tensor) => {
      const g = gradients(x.matmul(w).exp().sum(), w);
      w.assign(w.sub(g.mul(0.1)));
      return g;
    }, { backend: "interp" });
    const g = f(tensor(xs));
    close(g, ref[1]!);
    close(w, tf.sub(tf.tensor(ws), tf.mul(ref[1]!, 0.1)));
  });

  it("accumulates over several uses and sums broadcasts back", () => {
    const f = fn((x: Tensor, b: Tensor) => gradients(x.mul(x).add(b).mul(x).sum(), [x, b]), { backend: "interp" });
    const [gx, gb] = f(tensor([[1, 2, 3], [4, 5, 6]]), tensor([0.5, -1, 2]));
    const r = tf.grads((x: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.mul(x, x), b), x)))([tf.tensor([[1, 2, 3], [4, 5, 6]]), tf.tensor([0.5, -1, 2])]);
    close(gx!, r[0]!);
    close(gb!, r[1]!);
  });

  it("gives zeros for unconnected and integer inputs, and none through comparisons", () => {
    const f = fn((x: Tensor, z: Tensor, i: Tensor) => gradients(x.square().sum().add(x.greater(0).cast("f32").sum()), [x, z, i]), { backend: "interp" });
    const [gx, gz, gi] = f(tensor([1, -2]), tensor([5, 6, 7]), tensor([1, 2], [2], "i32"));
    expect(Array.from(gx!.dataSync())).toEqual([2, -4]);
    expect(Array.from(gz!.dataSync())).toEqual([0, 0, 0]);
    expect(gi!.dtype).toBe("i32");
    expect(Array.from(gi!.dataSync())).toEqual([0, 0]);
  });

  it("raises a GradError naming the op and the user's line for an op without a gradient", () => {
    const body = ir.parse(`func @k(%0: f32[2]) -> (f32[2]) {
  %1: f32[2] = exp %0
  return %1
}`);
    const b = new ir.Builder("f");
    const x = b.input({ dtype: "f32", shape: [2] });
    const y = b.emit("fusion", [x], { kind: "elementwise", name: "exp" }, "model.ts:7", body);
    const s = b.emit("sum", [y], { axes: [0] });
    b.output(...b.emitMulti("grad", [s, x], {}, "model.ts:9"));
    expect(() => expandGradients(b.finish())).toThrow(GradError);
    expect(() => expandGradients(b.finish())).toThrow(/'fusion'[\s\S]*model\.ts:7/);
  });
});

describe("checkGrads on steps with state, indices and errors", () => {
  it("checks only float arguments, and reads variables the function closes over", async () => {
    const { checkGrads } = await import("../../src/index.js");
    const w = variable(tensor([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]]), { name: "w_check" });
    const f = (x: Tensor, i: Tensor) => x.gather(i).matmul(w).tanh();
    const r = checkGrads(f, [tensor([[1, 2, 3], [0.5, -1, 2]]), tensor([1, 0, 1], [3], "i32")], { order: 2 });
    expect(r.checks).toEqual([36, 36]);
  });

  it("differentiates eagerly with respect to a variable used directly", () => {
    const w = variable(tensor(ws), { name: "w_eager" });
    const g = gradients(tensor(xs).matmul(w).exp().sum(), w);
    const ref = tf.grads((x: tf.Tensor, v: tf.Tensor) => tf.sum(tf.exp(tf.matMul(x, v))))([tf.tensor(xs), tf.tensor(ws)]);
    close(g, ref[1]!);
  });
});

describe("prod with exact zeros", () => {
  it("gives the product of the others (not NaN) with several zeros in a slice, first order exact", async () => {
    const { checkGrads, prod } = await import("../../src/index.js");
    const x = tensor([[0, 0, 2, 3], [0, 1, 0, 0], [1, 2, 3, 4]]);
    const g = gradients(prod(x, 1).mul(tensor([1, 2, 3])).sum(), x);
    // row 0: two zeros, so only the zeros' own "others" products could be nonzero, and they hold a zero
    expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 72, 36, 24, 18]);
    expect((x: Tensor) => prod(x, 1).sum()).toHaveCorrectGradients([x]);
    expect(checkGrads((v: Tensor) => prod(v), [tensor([0, 0, 5])]).maxAbsErr).toBe(0);
  });
});

describe("bool selects and equality on the path", () => {
  it("carry no gradient themselves, and the float path around them differentiates", async () => {
    const { where } = await import("../../src/index.js");
    const c = tensor([true, false, true], [3], "bool"), m = tensor([false, true, true], [3], "bool");
    // the mask is where(c, m, x > 0) and (x == x): bool branches, bool equality
    const f = (x: Tensor) => where(where(c, m, x.greater(0)).logicalAnd(x.equal(x)), x.square(), x).sum();
    expect(f).toHaveCorrectGradients([tensor([0.5, -1, 2])]);
    // mask = [false, false, true]: d/dx = [1, 1, 2x] at x = 2
    const x = tensor([0.5, -1, 2]);
    expect(Array.from(gradients(f(x), x).dataSync())).toEqual([1, 1, 4]);
  });
});
