/** @file The pass manager: verify-after-each, dump hook, statistics, fixpoints, named pipelines, and fn() stages. */
import { describe, expect, it } from "vitest";
import { Graph, parse, print, UsageError, VerifyError } from "../../src/ir/index.js";
import { fixpoint, makeContext, printStats, runPasses, type Pass } from "../../src/passes/pass.js";
import { lower, PASSES } from "../../src/passes/pipeline.js";
import { fn, tensor } from "../../src/index.js";

const SRC = `func @f(%0: f32[3]) -> (f32[3]) {
  %1: f32[] = const {dtype=f32, shape=[], value=[1]}
  %2: f32[3] = mul %0, %1
  %3: f32[3] = exp %0
  %4: f32[3] = neg %2
  %5: f32[3] = neg %4
  return %5
}`;

describe("pass manager", () => {
  it("verifies after every pass when asked and names the pass that broke the graph", () => {
    // a broken pass: reverses the nodes, so values are used before they are defined
    const broken: Pass = { name: "broken", description: "reverses the nodes", run: (g) => new Graph(g.name, g.inputs, g.state, [...g.nodes].reverse(), g.outputs, g.assigns) };
    const g = parse(SRC);
    expect(() => runPasses(g, [PASSES["cse"]!, broken], makeContext({ verify: true }))).toThrow(VerifyError);
    expect(() => runPasses(g, [broken], makeContext({ verify: true }))).toThrow(/after pass 'broken'/);
    // without verification the broken graph goes through (verification is the debug net)
    expect(() => runPasses(g, [broken], makeContext({}))).not.toThrow();
  });

  it("calls the dump hook after each pass, with the pass name and its result", () => {
    const seen: string[] = [];
    const out = runPasses(parse(SRC), [PASSES["simplify"]!, PASSES["dce"]!], makeContext({ dump: (name, g) => seen.push(`${name}:${g.nodes.length}`) }));
    expect(seen).toEqual(["simplify:0", "dce:0"]);
    expect(print(out.graph)).toBe("func @f(%0: f32[3]) -> (f32[3]) {\n  return %0\n}");
  });

  it("records nodes before and after each pass, and notes which rules fired", () => {
    const ctx = makeContext({});
    const { stats } = runPasses(parse(SRC), [PASSES["simplify"]!, PASSES["dce"]!], ctx);
    expect(stats.every((s) => s.ms >= 0)).toBe(true); // wall time, for compile-time profiles
    expect(stats.map(({ ms: _ms, ...s }) => s)).toEqual([
      { pass: "simplify", nodesBefore: 5, nodesAfter: 0 },
      { pass: "dce", nodesBefore: 0, nodesAfter: 0 },
    ]);
    expect(ctx.notes.get("simplify")).toEqual(["mul(x, 1) -> x  x1", "neg(neg(x)) -> x  x1"]);
    expect(printStats(stats)).toMatch(/simplify\s+5 ->\s+0 nodes/);
  });

  it("a fixpoint repeats its passes until the graph stops changing", () => {
    let runs = 0;
    const counting: Pass = { name: "count", description: "", run: (g) => (runs++, g) };
    const out = runPasses(parse(SRC), [fixpoint("fp", [PASSES["dce"]!, counting, PASSES["simplify"]!])], makeContext({}));
    expect(out.graph.nodes.length).toBe(0);
    expect(runs).toBe(2); // the second round changes nothing
  });

  it("lowers through named pipelines; an unknown name is a UsageError", () => {
    const g = parse(SRC);
    const opt = lower(g, { verify: true });
    expect(opt.stages.optimized!.nodes.length).toBe(0);
    const o0 = lower(g, { pipeline: "O0", verify: true });
    expect(o0.stages.optimized!.nodes.length).toBe(4); // only the unused exp is gone
    expect(o0.stages.fused!.nodes.filter((n) => n.op === "fusion").length).toBe(1);
    expect(() => lower(g, { pipeline: "O9" })).toThrow(UsageError);
  });

  it("fn() exposes the optimized and fused stages", () => {
    const step = fn((x: ReturnType<typeof tensor>) => x.mul(1).add(x).exp().sum(), { backend: "interp" });
    const out = step(tensor([1, 2, 3]));
    expect(out.dataSync()[0]).toBeCloseTo(Math.exp(2) + Math.exp(4) + Math.exp(6), 2);
    expect(step.ir("optimized")).not.toMatch(/ mul /);
    expect(step.ir("fused")).toMatch(/fusion %0 \{kind="reduce", name="add_exp_sum"\}/);
  });
});
