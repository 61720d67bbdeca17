/** @file Every op on the js backend equals the reference interpreter: one table over OP_NAMES (a new op without a case fails). */
import { describe, expect, it } from "vitest";
import { Builder, OP_NAMES, interpret } from "../../src/ir/index.js";
import { CASES } from "./op-cases.js";
import { lowerStages } from "../../src/passes/pipeline.js";
import { jsBackend } from "../../src/runtime/js.js";
import { checkAgainstInterpreter, expectClose, randomArray, rng, runJs } from "./harness.js";

describe("js backend vs interpreter, op by op", () => {
  it("has a case for every op", () => {
    const missing = OP_NAMES.filter((op) => !(op in CASES));
    expect(missing).toEqual([]);
  });
  for (const op of OP_NAMES) {
    const cases = CASES[op];
    if (!cases || !Array.isArray(cases)) continue;
    describe(op, () => {
      cases.forEach((k, ci) => {
        it(k.label, () => {
          const b = new Builder(`${op}_${ci}`);
          const xs = k.ins.map(([dtype, shape]) => b.input({ dtype, shape }));
          const out = k.build(b, xs);
          b.output(...(Array.isArray(out) ? out : [out]));
          const r = rng(ci * 7919 + op.length);
          const inputs = k.ins.map(([dtype, shape, fill], i) => randomArray({ dtype, shape }, fill ?? (dtype === "bool" ? "bool" : dtype === "i32" ? "int" : "float"), () => r() + 0 * i));
          checkAgainstInterpreter(b.finish(), inputs);
        });
      });
    });
  }

  it("gradient markers: refused unexpanded, right once the grad pass ran", () => {
    const b = new Builder("grad_marker");
    const x = b.input({ dtype: "f32", shape: [3] });
    const y = b.emit("sum", [b.o.mul(x, x)], { axes: [0], keepDims: false });
    const [g] = b.emitMulti("grad", [y, x]);
    b.output(g!);
    const traced = b.finish();
    expect(() => jsBackend.compile({ traced }, {})).toThrow(/grad/);
    const stages = lowerStages(traced);
    const input = randomArray({ dtype: "f32", shape: [3] }, "float", rng(1));
    const ref = interpret(stages.grad!, [input]);
    expectClose(runJs(stages, [input]).outputs[0]!, ref.outputs[0]!, "d sum(x^2)");
  });
});
