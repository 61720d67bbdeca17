/** @file Hessian-vector products of a small MLP loss (grad of grad, inside fn and eagerly) against finite differences in float64. */
import { describe, expect, it } from "vitest";
import { fn, grad, type Tensor } from "../../src/index.js";
import { rand } from "./cases.js";

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
const f64 = (s: number[]) => rand(s, -1, 1, { dtype: "f64" });
const x = f64([6, 4]), target = f64([6, 3]);

/** Mean squared error of a tanh MLP, plus a softmax cross-entropy term (composites included). */
const loss = (p: Params): Tensor => {
  const h = x.matmul(p.w1).add(p.b1).tanh();
  const out = h.matmul(p.w2).add(p.b2);
  return out.sub(target).square().mean().add(out.logSoftmax().mul(target.softmax()).sum().neg().mul(0.1));
};
const gradL = grad(loss);
const dot = (a: Params, b: Params): Tensor =>
  (Object.keys(a) as (keyof Params)[]).map((k) => a[k].mul(b[k]).sum()).reduce((s, t) => s.add(t));
/** H v = d/dp <grad L(p), v>. */
const hvp = (p: Params, v: Params): Params => grad((q: Params) => dot(gradL(q) as Params, v))(p);

const map = (p: Params, f: (t: Tensor, k: keyof Params) => Tensor): Params =>
  Object.fromEntries((Object.keys(p) as (keyof Params)[]).map((k) => [k, f(p[k], k)])) as Params;

describe("Hessian-vector product on an MLP loss", () => {
  const p: Params = { w1: f64([4, 5]), b1: f64([5]), w2: f64([5, 3]), b2: f64([3]) };
  const v: Params = map(p, (t) => f64(t.shape));
  const eps = 1e-5;
  // central differences of the (first-order) gradient along v
  const gp = gradL(map(p, (t, k) => t.add(v[k].mul(eps)))) as Params;
  const gm = gradL(map(p, (t, k) => t.sub(v[k].mul(eps)))) as Params;
  const numeric = map(gp, (t, k) => t.sub(gm[k]).div(2 * eps));

  const agree = (hv: Params) => {
    for (const k of Object.keys(p) as (keyof Params)[]) {
      const a = hv[k].dataSync(), n = numeric[k].dataSync();
      expect(hv[k].shape).toEqual(p[k].shape);
      n.forEach((want, i) => expect(Math.abs(a[i]! - want), `${k}[${i}]: H v ${a[i]} vs finite difference ${want}`).toBeLessThanOrEqual(1e-7 + 1e-6 * Math.abs(want)));
    }
  };

  it("inside fn (grad markers nested two deep)", () => {
    const step = fn(hvp, { backend: "interp" });
    agree(step(p, v));
    expect(step.ir("traced").match(/= grad /g)!.length).toBe(2);
    expect(step.ir("grad")).not.toMatch(/= grad /);
  });

  it("eagerly", () => {
    agree(hvp(p, v));
  });

  it("is symmetric: <H u, v> = <u, H v>", () => {
    const u = map(p, (t) => f64(t.shape));
    const a = dot(hvp(p, u), v).item(), b = dot(u, hvp(p, v)).item();
    expect(Math.abs(a - b)).toBeLessThan(1e-12 * (1 + Math.abs(a)));
    expect(Math.abs(a)).toBeGreaterThan(1e-3);
  });
});
