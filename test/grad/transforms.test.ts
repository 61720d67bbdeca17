/** @file grad/valueAndGrad/customGradient, inside fn and eagerly; grad of grad; custom bodies round-trip as text. */
import { describe, expect, it } from "vitest";
import { customGradient, fn, grad, ir, tensor, valueAndGrad, variable, type Tensor } from "../../src/index.js";

const vals = (t: Tensor) => Array.from(t.dataSync());
const cube = (x: Tensor) => x.mul(x).mul(x).sum();
const d2cube = (x: Tensor) => grad((t: Tensor) => grad(cube)(t).sum())(x) as Tensor;

describe("function transformations", () => {
  const x = tensor([1, 2, -3]);
  it("grad and grad-of-grad, eagerly and inside fn", () => {
    expect(vals(grad(cube)(x))).toEqual([3, 12, 27]);
    expect(vals(d2cube(x))).toEqual([6, 12, -18]);
    const f = fn((t: Tensor) => [grad(cube)(t), d2cube(t)], { backend: "interp" });
    const [g1, g2] = f(x);
    expect(vals(g1!)).toEqual([3, 12, 27]);
    expect(vals(g2!)).toEqual([6, 12, -18]);
    expect(f.ir("traced").match(/= grad /g)).toHaveLength(3);
  });

  it("argnums: a number gives one gradient, an array gives an array; pytrees keep their shape", () => {
    const f = (a: Tensor, b: Tensor) => a.mul(b).sum();
    expect(vals(grad(f, { argnums: 1 })(tensor([1, 2]), tensor([3, 4])))).toEqual([1, 2]);
    const [ga, gb] = grad(f, { argnums: [0, 1] })(tensor([1, 2]), tensor([3, 4]));
    expect([vals(ga), vals(gb)]).toEqual([[3, 4], [1, 2]]);
    const { value, grad: g } = valueAndGrad((p: { w: Tensor; b: Tensor }) => p.w.square().sum().add(p.b.mul(3).sum()))({ w: tensor([1, 2]), b: tensor([5]) });
    expect(value.item()).toBe(20);
    expect([vals(g.w), vals(g.b)]).toEqual([[2, 4], [3]]);
  });

  it("an argument the function also closes over is a separate leaf (as JAX)", () => {
    const c = tensor([2, 5]);
    expect(vals(grad((a: Tensor) => a.mul(c).sum())(c))).toEqual([2, 5]);
  });

  it("grad with respect to a variable inside fn", () => {
    const w = variable([1, -2], { name: "w_grad_test" });
    const f = fn(() => grad((v: Tensor) => v.square().sum())(w), { backend: "interp" });
    expect(vals(f() as Tensor)).toEqual([2, -4]);
  });

  it("customGradient replaces the derivative, eagerly and inside fn, closing over step tensors", () => {
    const k = tensor([10]);
    const op = customGradient((a: Tensor, b: Tensor) => ({ value: a.mul(b), gradFunc: (dy: Tensor) => [dy.mul(b).mul(k), dy.mul(a).neg()] }));
    const h = (a: Tensor, b: Tensor) => op(a, b).sum();
    const a = tensor([1, 2]), b = tensor([3, 4]);
    const eager = grad(h, { argnums: [0, 1] })(a, b) as Tensor[];
    expect(eager.map(vals)).toEqual([[30, 40], [-1, -2]]);
    const f = fn((p: Tensor, q: Tensor) => grad(h, { argnums: [0, 1] })(p, q), { backend: "interp" });
    expect((f(a, b) as Tensor[]).map(vals)).toEqual([[30, 40], [-1, -2]]);
    const text = f.ir("traced");
    expect(text).toContain("custom_grad");
    expect(ir.print(ir.parse(text))).toBe(text);
    expect(ir.print(ir.fromJSON(JSON.parse(JSON.stringify(ir.toJSON(f.graph("traced"))))))).toBe(text);
    expect(f.ir("grad")).not.toContain("custom_grad");
  });

  it("second order through a custom gradient differentiates its gradFunc", () => {
    // value x^2 (unused by the rule); rule dy * x^3: d/dx of the gradient is 3x^2
    const op = customGradient((x: Tensor) => ({ value: x.square(), gradFunc: (dy: Tensor) => dy.mul(x.mul(x).mul(x)) }));
    const g2 = (x: Tensor) => grad((t: Tensor) => (grad((u: Tensor) => op(u).sum())(t) as Tensor).sum())(x) as Tensor;
    expect(vals(g2(tensor([1, 2])))).toEqual([3, 12]);
    const f = fn(g2, { backend: "interp" });
    expect(vals(f(tensor([1, 2])))).toEqual([3, 12]);
  });
});

describe("customGradient edge cases", () => {
  it("a gradFunc that takes gradients itself", () => {
    // rule: dy * d/dx (x^3) computed with grad inside the gradFunc
    const op = customGradient((x: Tensor) => ({ value: x.square(), gradFunc: (dy: Tensor) => dy.mul(grad(cube)(x) as Tensor) }));
    const f = fn((x: Tensor) => grad((t: Tensor) => op(t).sum())(x), { backend: "interp" });
    expect(vals(f(tensor([1, 2])) as Tensor)).toEqual([3, 12]);
  });

  it("rejects a gradient of the wrong shape with the user's line", () => {
    const op = customGradient((a: Tensor, b: Tensor) => ({ value: a.mul(b), gradFunc: (dy: Tensor) => [dy.mul(b), dy.mul(a)] }));
    expect(() => op(tensor([[1, 2], [3, 4]]), tensor([1, 2]))).toThrow(/gradient 1 is f32\[2,2\] but input 1 is f32\[2\][\s\S]*transforms\.test\.ts:\d+/);
  });
});
