/** @file The checker can fail: wrong custom gradients and a mutated VJP rule are caught, with a report naming input and element. */
import { afterEach, describe, expect, it } from "vitest";
import { checkGrads, customGradient, GradError, ir, tensor, type Tensor } from "../../src/index.js";
import { rand } from "./cases.js";

/** a * b (b broadcast over rows) with a gradFunc whose b-gradient is computed by `gb`. */
const mulWith = (ga: (dy: Tensor, a: Tensor, b: Tensor) => Tensor, gb: (dy: Tensor, a: Tensor, b: Tensor) => Tensor) =>
  customGradient((a: Tensor, b: Tensor) => ({ value: a.mul(b), gradFunc: (dy: Tensor) => [ga(dy, a, b), gb(dy, a, b)] }));

const right = mulWith((dy, _a, b) => dy.mul(b), (dy, a) => dy.mul(a).sum(0));

describe("checkGrads catches wrong gradients", () => {
  const a = rand([3, 3]), b = rand([3]);

  it("accepts the right custom gradient", () => {
    expect(right).toHaveCorrectGradients([a, b], { order: 2 });
    expect(right).toHaveCorrectGradients([a, b], { mode: "random" });
  });

  const IN0 = "input 0 \\(f32\\[3,3\\]\\)", IN1 = "input 1 \\(f32\\[3\\]\\)";
  const wrong: [string, ReturnType<typeof mulWith>, string][] = [
    ["sign flip", mulWith((dy, _a, b) => dy.mul(b).neg(), (dy, a) => dy.mul(a).sum(0)), IN0],
    ["factor 2", mulWith((dy, _a, b) => dy.mul(b), (dy, a) => dy.mul(a).sum(0).mul(2)), IN1],
    ["broadcast summed over the wrong axis", mulWith((dy, _a, b) => dy.mul(b), (dy, a) => dy.mul(a).sum(1)), IN1],
    ["broadcast averaged instead of summed", mulWith((dy, _a, b) => dy.mul(b), (dy, a) => dy.mul(a).mean(0)), IN1],
  ];
  it.each(wrong)("%s, in full and random mode", (_name, f, input) => {
    expect(f).not.toHaveCorrectGradients([a, b]);
    expect(() => checkGrads(f, [a, b])).toThrow(GradError);
    // the worst entry names the wrong input and the element
    expect(() => checkGrads(f, [a, b])).toThrow(new RegExp(`worst first:\\n  - ${input} element \\[[\\d,]+\\]`));
    expect(() => checkGrads(f, [a, b])).toThrow(/analytic [-\d.e]+ +numeric [-\d.e]+ +abs error \S+ +rel error \S+/);
    // random projections narrow it to the input
    expect(() => checkGrads(f, [a, b], { mode: "random" })).toThrow(new RegExp(`one at a time first:\\n  - ${input}: random projection`));
  });

  it("catches an error that shows only in the second derivative", () => {
    // first derivative right (dy * 3x^2); its rule written with a wrong derivative hidden behind stopGradient
    const f = customGradient((x: Tensor) => ({ value: x.mul(x).mul(x), gradFunc: (dy: Tensor) => dy.mul(x.mul(x).stopGradient().mul(3)) }));
    const x = rand([4]);
    expect(f).toHaveCorrectGradients([x]);
    expect(() => checkGrads(f, [x], { order: 2 })).toThrow(/order 2/);
  });
});

type Ctx = { b: ir.Builder; x: readonly ir.Value[]; y: ir.Value; dy: ir.Value };

describe("checkGrads catches a wrong VJP rule in the registry", () => {
  const defs = ir.OPS as unknown as Record<string, { vjp: unknown }>;
  const saved = new Map<string, unknown>();
  const mutate = (op: string, rule: unknown): void => {
    saved.set(op, defs[op]!.vjp);
    defs[op]!.vjp = rule;
  };
  afterEach(() => {
    for (const [op, rule] of saved) defs[op]!.vjp = rule;
    saved.clear();
  });

  it("matmul with a transpose flag dropped (square shapes still type-check)", () => {
    const f = (p: Tensor, q: Tensor) => p.matmul(q);
    const args = [rand([3, 3]), rand([3, 3])];
    expect(f).toHaveCorrectGradients(args);
    mutate("matmul", ({ b, x: [A, B], dy }: Ctx) => [
      b.emit("matmul", [dy, B!], { transposeA: false, transposeB: false }),
      b.emit("matmul", [A!, dy], { transposeA: true, transposeB: false }),
    ]);
    expect(f).not.toHaveCorrectGradients(args);
    expect(() => checkGrads(f, args)).toThrow(/input 0 \(f32\[3,3\]\)/);
  });

  it("sigmoid with s(1+s) instead of s(1-s)", () => {
    const f = (x: Tensor) => x.sigmoid();
    const args = [rand([2, 3])];
    mutate("sigmoid", ({ b, y, dy }: Ctx) => [b.o.mul(dy, b.o.mul(y, b.o.add(1, y)))]);
    expect(f).not.toHaveCorrectGradients(args);
    expect(f).not.toHaveCorrectGradients(args, { mode: "random" });
  });

  it("restores the rule afterwards (the table test sees the real one)", () => {
    expect((x: Tensor) => x.sigmoid()).toHaveCorrectGradients([tensor([0.3, -0.7])]);
  });
});
