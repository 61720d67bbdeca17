/** @file Every op in the registry: its VJP rule against float64 finite differences (orders 1 and 2), at several shapes. */
import { describe, expect, it } from "vitest";
import { checkGrads, ir } from "../../src/index.js";
import { GRAD_CASES } from "./cases.js";

const ruleKind = (op: ir.OpName): "rule" | "zero" | "none" => {
  const v = ir.OPS[op].vjp as object;
  return typeof v === "function" ? "rule" : "zero" in v ? "zero" : "none";
};

describe("VJP rules, every op", () => {
  it.each(ir.OP_NAMES.map((op) => [op]))("%s", (op) => {
    const cases = GRAD_CASES[op];
    if (!cases) {
      // an op may skip the table only if it declares that nothing flows through it, or is a region
      const exempt = ruleKind(op) !== "rule" || ir.OPS[op].kind === "region";
      expect(exempt, `op '${op}' has a VJP rule but no entry in test/grad/cases.ts: add cases so its gradient is checked`).toBe(true);
      return;
    }
    for (const c of cases) {
      // order 2 also differentiates the rule itself (rules are written in differentiable ops)
      expect(c.f, c.name).toHaveCorrectGradients(c.args(), { order: 2 });
    }
  });

  it("covers every op that has a rule", () => {
    const withRule = ir.OP_NAMES.filter((op) => ruleKind(op) === "rule" && ir.OPS[op].kind !== "region");
    expect(withRule.filter((op) => !GRAD_CASES[op])).toEqual([]);
    expect(withRule.length).toBeGreaterThanOrEqual(37);
  });

  it("the checker runs in float64 whatever the dtype (f32 inputs, tight agreement)", () => {
    const c = GRAD_CASES.tanh![2]!;
    const r = checkGrads(c.f, c.args());
    expect(r.mode).toBe("full");
    expect(r.maxAbsErr).toBeLessThan(1e-8);
  });
});
