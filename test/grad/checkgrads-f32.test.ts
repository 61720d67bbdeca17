/** @file checkGrads with dtype "f32" (issue 14 item 12): 30 planted wrong gradients, f32-only ones included, must all be caught; correct ones pass. */
import { describe, expect, it } from "vitest";
import { checkGrads, customGradient, exp, GradError, log, matmul, sigmoid, softmax, stopGradient, tensor, where, type Tensor } from "../../src/index.js";

type F = (...xs: Tensor[]) => Tensor;
/** A unary value with a hand-written (planted) gradient rule. */
const rule = (value: (x: Tensor) => Tensor, g: (x: Tensor, dy: Tensor) => Tensor): F =>
  customGradient((x: Tensor) => ({ value: value(x), gradFunc: (dy: Tensor) => g(x, dy) })) as F;
const rule2 = (value: (a: Tensor, b: Tensor) => Tensor, g: (a: Tensor, b: Tensor, dy: Tensor) => [Tensor, Tensor]): F =>
  customGradient((a: Tensor, b: Tensor) => ({ value: value(a, b), gradFunc: (dy: Tensor) => g(a, b, dy) })) as F;

const v = tensor([0.3, -0.7, 1.2, 2.1]);
const pos = tensor([0.4, 1.3, 2.2, 0.9]);
const m = tensor([[0.5, -1.1, 0.3], [0.9, 0.2, -0.4]]);
const sq = tensor([[1.0, 2.0], [-0.5, 0.7]]);
const sq2 = tensor([[0.3, -1.2], [0.8, 1.5]]);

interface Planted {
  readonly name: string;
  readonly f: F;
  readonly args: Tensor[];
  /** Only the float32 run sees it: the float64 check passes. */
  readonly f32Only?: boolean;
  readonly order?: 1 | 2;
}

const PLANTED: Planted[] = [
  { name: "square: wrong sign", f: rule((x) => x.square(), (x, dy) => dy.mul(x).mul(-2)), args: [v] },
  { name: "exp: factor 2", f: rule((x) => exp(x), (x, dy) => dy.mul(exp(x)).mul(2)), args: [v] },
  { name: "x sin x: a missing product-rule term", f: rule((x) => x.mul(x.sin()), (x, dy) => dy.mul(x.sin())), args: [v] },
  { name: "tanh: an offset of 0.01", f: rule((x) => x.tanh(), (x, dy) => dy.mul(x.tanh().square().neg().add(1.01))), args: [v] },
  { name: "sigmoid: s instead of s(1-s)", f: rule((x) => sigmoid(x), (x, dy) => dy.mul(sigmoid(x))), args: [v] },
  { name: "sqrt: the 1/2 missing", f: rule((x) => x.sqrt(), (x, dy) => dy.div(x.sqrt())), args: [pos] },
  { name: "log: 1/(x+1)", f: rule((x) => log(x), (x, dy) => dy.div(x.add(1))), args: [pos] },
  { name: "log1p: 1/x", f: rule((x) => x.log1p(), (x, dy) => dy.div(x)), args: [pos] },
  { name: "expm1: e^x - 1", f: rule((x) => x.expm1(), (x, dy) => dy.mul(x.expm1())), args: [v] },
  { name: "sin: -cos", f: rule((x) => x.sin(), (x, dy) => dy.mul(x.cos()).neg()), args: [v] },
  { name: "cos: +sin", f: rule((x) => x.cos(), (x, dy) => dy.mul(x.sin())), args: [v] },
  { name: "abs: 1 everywhere", f: rule((x) => x.abs(), (_x, dy) => dy), args: [v] },
  { name: "relu: the identity's gradient", f: rule((x) => x.relu(), (_x, dy) => dy), args: [v] },
  { name: "pow x^3: 3x^3 instead of 3x^2", f: rule((x) => x.pow(3), (x, dy) => dy.mul(x.pow(3)).mul(3)), args: [v] },
  { name: "ignores dy (non-scalar output)", f: rule((x) => x.mul(3), (x) => x.mul(0).add(3)), args: [v] },
  { name: "mean: divides by the wrong count", f: rule((x) => x.mean(-1, true), (x, dy) => dy.div(3).mul(x.mul(0).add(1))), args: [tensor([[1, 2], [3, 4]])] },
  { name: "softmax: only the diagonal of its Jacobian", f: rule((x) => softmax(x), (x, dy) => dy.mul(softmax(x)).mul(softmax(x).neg().add(1))), args: [m] },
  {
    name: "matmul: dA without the transpose", args: [sq, sq2],
    f: rule2((a, b) => matmul(a, b), (a, b, dy) => [matmul(dy, b), matmul(a, dy, true)]),
  },
  { name: "a*b^2: gradients swapped", f: rule2((a, b) => a.mul(b.square()), (a, b, dy) => [dy.mul(a).mul(b).mul(2), dy.mul(b.square())]), args: [v, pos] },
  { name: "a/b: the denominator's sign", f: rule2((a, b) => a.div(b), (a, b, dy) => [dy.div(b), dy.mul(a).div(b.square())]), args: [v, pos] },
  { name: "a+b (b broadcast): the mean instead of the sum", f: rule2((a, b) => a.add(b), (_a, b, dy) => [dy, dy.mean(0).add(b.mul(0))]), args: [m, tensor([1, 2, 3])] },
  { name: "a-b: the second gradient +dy", f: rule2((a, b) => a.sub(b), (_a, _b, dy) => [dy, dy]), args: [v, pos] },
  { name: "maximum: the gradient to both operands", f: rule2((a, b) => a.maximum(b), (_a, _b, dy) => [dy, dy]), args: [v, pos] },
  { name: "x^2 sum: off by 1e-2 relative", f: rule((x) => x.square().sum(), (x, dy) => dy.mul(x).mul(2.02)), args: [v] },
  // the first derivative is right; the second is not (stopGradient hides x from the next order)
  { name: "x^3: right first derivative, wrong second", f: rule((x) => x.pow(3), (x, dy) => dy.mul(stopGradient(x).square()).mul(3)), args: [v], order: 2 },
  // float32-only: exact in float64, overflow or cancellation in float32
  { name: "elu as where(x > 0, x, exp(x) - 1) at x >= 89: 0 * Inf in the unselected branch", f: (x) => where(x.greater(0), x, exp(x).sub(1)), args: [tensor([89, 100, -1, 0.5])], f32Only: true },
  { name: "softplus as log(1 + e^x) at 100: Inf / Inf", f: (x) => log(exp(x).add(1)), args: [tensor([100, 95, 1])], f32Only: true },
  { name: "sigmoid' as e^-x / (1 + e^-x)^2 at -100", f: rule((x) => sigmoid(x), (x, dy) => dy.mul(exp(x.neg())).div(exp(x.neg()).add(1).square())), args: [tensor([-100, -95, 0.5])], f32Only: true },
  { name: "d x^2 as a central difference with h = 1e-3 at 1e3 (cancellation)", f: rule((x) => x.square(), (x, dy) => dy.mul(x.add(1e-3).square().sub(x.sub(1e-3).square()).div(2e-3))), args: [tensor([1000, 1500])], f32Only: true },
  { name: "x * ((y + 1e6) - 1e6): the f32 sum loses y", f: (x, y) => x.mul(y.add(1e6).sub(1e6)), args: [tensor([1, 2]), tensor([0.03, 1.51])], f32Only: true },
];

describe("checkGrads with dtype f32 catches every planted wrong gradient", () => {
  it("plants at least 25 errors, 5 of them float32-only", () => {
    expect(PLANTED.length).toBeGreaterThanOrEqual(25);
    expect(PLANTED.filter((p) => p.f32Only).length).toBeGreaterThanOrEqual(5);
  });

  it.each(PLANTED.map((p) => [p.name, p] as const))("%s", (_n, p) => {
    const opts = { order: p.order ?? 1 } as const;
    expect(() => checkGrads(p.f, p.args, { ...opts, dtype: "f32" })).toThrow(GradError);
    if (p.f32Only) {
      // the float64 check alone passes: only running the program in f32 shows the error
      expect(() => checkGrads(p.f, p.args, opts)).not.toThrow();
      expect(() => checkGrads(p.f, p.args, { ...opts, dtype: "f32" })).toThrow(/float32 on js/);
    }
  });

  it("names the backend, and catches the f32 errors on interp and tfjs too", () => {
    for (const backend of ["interp", "tfjs"]) {
      for (const p of PLANTED.filter((q) => q.f32Only)) expect(() => checkGrads(p.f, p.args, { dtype: "f32", backend }), `${p.name} on ${backend}`).toThrow(new RegExp(`float32 on ${backend}`));
    }
  });

  it("correct gradients pass in f32 on every backend (the tolerance is not trivially failing)", () => {
    const good: [F, Tensor[]][] = [
      [(x) => x.square().sum(), [v]], [(x) => exp(x), [v]], [(x) => x.tanh().mul(x.sin()), [v]], [(x) => softmax(x), [m]],
      [(a, b) => matmul(a, b), [sq, sq2]], [(a, b) => a.div(b).add(b.log()), [v, pos]], [(x) => x.elu(), [tensor([89, 100, -1, 0.5])]],
      [(x) => x.softplus(), [tensor([100, -100, 0.5])]], [(x) => x.logSigmoid(), [tensor([-100, 3, 0.5])]],
    ];
    for (const backend of ["interp", "js", "tfjs"]) for (const [f, args] of good) expect(() => checkGrads(f, args, { dtype: "f32", backend, order: backend === "js" ? 2 : 1 })).not.toThrow();
  });

  it("rejects an unknown dtype", () => {
    expect(() => checkGrads((x: Tensor) => x.square(), [v], { dtype: "f16" as never })).toThrow(/dtype must be "f64" or "f32"/);
  });
});
