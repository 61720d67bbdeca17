/** @file Error messages for the common user mistakes: they name the op, the shapes, and this file's line. */
import { describe, expect, it } from "vitest";
import * as g from "../../src/index.js";
import { DTypeError, fn, GraftError, ShapeError, tensor, UsageError, variable, type Tensor } from "../../src/index.js";

const opts = { backend: "interp" } as const;
const HERE = "test/dsl/errors.test.ts";

/** Runs `f`, expects a GraftError of `cls`; returns it. */
function caught<E extends GraftError>(f: () => unknown, cls: new (...a: never[]) => E): E {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(cls);
    return e as E;
  }
  return expect.fail("expected an error");
}

/** The line in this file where `marker` occurs: locations must point at the user's own line. */
const lineOf = (marker: string): number => {
  const src = new Error().stack ?? "";
  void src;
  return LINES.findIndex((l) => l.includes(marker)) + 1;
};
import { readFileSync } from "node:fs";
const LINES = readFileSync(new URL(import.meta.url).pathname, "utf8").split("\n");

describe("shape and dtype mistakes", () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  const b = tensor([1, 2]);

  it("add with shapes that do not broadcast: op, both shapes, file:line (eager)", () => {
    const e = caught(() => a.add(b), ShapeError); // MARK:add-eager
    expect(e.message).toContain("add: shapes [2,3] and [2] do not broadcast");
    expect(e.loc).toBe(`${HERE}:${lineOf("MARK:add-eager")}`);
    expect(e.message).toContain(`at ${HERE}:`);
  });

  it("the same mistake inside fn reports the line inside the step", () => {
    const f = fn((x: Tensor, y: Tensor) => x.add(y), opts); // MARK:add-traced
    const e = caught(() => f(a, b), ShapeError);
    expect(e.message).toContain("add: shapes [2,3] and [2] do not broadcast");
    expect(e.loc).toBe(`${HERE}:${lineOf("MARK:add-traced")}`);
    expect(f.traces).toHaveLength(0); // a failed trace is not cached
  });

  it("matmul with mismatched inner dimensions names both operands", () => {
    const e = caught(() => g.matmul(a, a), ShapeError); // MARK:matmul
    expect(e.message).toContain("matmul: inner dimensions differ (3 vs 2) in f32[2,3] x f32[2,3]");
    expect(e.loc).toBe(`${HERE}:${lineOf("MARK:matmul")}`);
    const v = caught(() => g.matmul(a, b), ShapeError);
    expect(v.message).toContain("matmul: both operands need rank >= 2, got f32[2,3] x f32[2] (reshape vectors to [1,n] or [n,1])");
    expect(v.loc).toContain(HERE);
  });

  it("f32 + i32 is a DTypeError asking for a cast", () => {
    const i = tensor([1, 2, 3], [3], "i32");
    const e = caught(() => a.add(i), DTypeError);
    expect(e.message).toContain("add: cannot mix f32 and i32; cast one side explicitly");
    expect(e.loc).toContain(HERE);
    // with an explicit cast it works
    expect(Array.from(a.add(i.cast("f32")).dataSync())).toEqual([2, 4, 6, 5, 7, 9]);
  });

  it("a fractional number with an i32 tensor is refused rather than truncated", () => {
    const i = tensor([1, 2], [2], "i32");
    const e = caught(() => i.add(2.5), DTypeError);
    expect(e.message).toContain("add: the number 2.5 cannot be an i32 operand");
    expect(e.loc).toContain(HERE);
    expect(Array.from(i.add(2).dataSync())).toEqual([3, 4]);
  });

  it("reshape to a different size names both shapes", () => {
    const e = caught(() => a.reshape([4, 2]), ShapeError);
    expect(e.message).toContain("reshape: cannot reshape f32[2,3] (6 elements) to [4,2]");
    expect(e.loc).toContain(HERE);
    expect(caught(() => a.reshape([-1, 4]), ShapeError).message).toContain("reshape: cannot reshape f32[2,3] to [-1,4]");
  });

  it("bad axes: out of range, repeated, on reductions and shape ops", () => {
    const cases: [() => unknown, string][] = [
      [() => a.sum(2), "sum: axis 2 is out of range for rank 2"],
      [() => a.mean([0, -2]), "mean: repeated axis in [0,-2]"],
      [() => a.argmax(5), "argmax: axis 5 is out of range for rank 2"],
      [() => a.transpose([0, 2]), "transpose: axis 2 is out of range for rank 2"],
      [() => a.expandDims(4), "expandDims: axis 4 is out of range for rank 3"],
      [() => a.squeeze(0), "squeeze: axis 0 of [2,3] is not size 1"],
      [() => g.concat([a, a], 3), "concat: axis 3 is out of range for rank 2"],
      [() => a.gather(tensor([0], [1], "i32"), -3), "gather: axis -3 is out of range for rank 2"],
    ];
    for (const [f, msg] of cases) {
      const e = caught(f, ShapeError);
      expect(e.message).toContain(msg);
      expect(e.loc, msg).toContain(HERE);
    }
  });
});

describe("tracing mistakes", () => {
  it("reading values of a symbolic tensor inside a step explains why and where", () => {
    const f = fn((x: Tensor) => {
      const v = x.dataSync(); // MARK:datasync
      return tensor(Array.from(v));
    }, opts);
    const e = caught(() => f(tensor([1])), UsageError);
    expect(e.message).toContain("this tensor is symbolic");
    expect(e.message).toContain("return it from the step");
    expect(e.loc).toBe(`${HERE}:${lineOf("MARK:datasync")}`);
    const item = fn((x: Tensor) => tensor(x.sum().item()), opts);
    expect(caught(() => item(tensor([1])), UsageError).loc).toContain(HERE);
  });

  it("a tensor leaking from one fn into another is caught, with the line that used it", () => {
    let leaked: Tensor | undefined;
    const first = fn((x: Tensor) => {
      leaked = x.mul(2);
      return leaked;
    }, opts);
    first(tensor([1]));
    const second = fn((x: Tensor) => x.add(leaked!), opts); // MARK:leak
    const e = caught(() => second(tensor([1])), UsageError);
    expect(e.message).toContain("a symbolic tensor from another traced fn was used here");
    expect(e.loc).toBe(`${HERE}:${lineOf("MARK:leak")}`);
    // and eagerly, outside any fn
    const e2 = caught(() => leaked!.add(1), UsageError);
    expect(e2.message).toContain("symbolic");
    expect(e2.loc).toContain(HERE);
    expect(caught(() => leaked!.dataSync(), UsageError).loc).toContain(HERE);
  });

  it("creating a variable inside a step is refused with a reason", () => {
    const f = fn((x: Tensor) => variable(x), opts);
    const e = caught(() => f(tensor([1])), UsageError);
    expect(e.message).toContain("create variables outside traced steps");
    expect(e.loc).toContain(HERE);
  });

  it("assigning the wrong shape or dtype to a variable names the variable", () => {
    const w = variable(tensor([1, 2]), { name: "weights" });
    expect(caught(() => w.assign(tensor([1, 2, 3])), ShapeError).message).toContain("assign to variable 'weights': it is [2], the value is [3]");
    expect(caught(() => w.assign(tensor([1, 2], [2], "i32")), DTypeError).message).toContain("assign to variable 'weights': it is f32, the value is i32");
    const f = fn(() => w.assign(tensor([[1, 2]])), opts);
    expect(caught(() => f(), ShapeError).loc).toContain(HERE);
  });

  it("unknown backend lists the available ones", () => {
    const e = caught(() => fn((x: Tensor) => x, { backend: "cuda" }), UsageError);
    expect(e.message).toMatch(/unknown backend 'cuda' \(available: .*interp/);
    expect(e.loc).toContain(HERE);
  });

  it("fn of something that is not a function", () => {
    const e = caught(() => fn(42 as unknown as () => void), UsageError);
    expect(e.message).toContain("fn: expected a step function, got number");
  });

  it("unknown stage names the stages", () => {
    const f = fn((x: Tensor) => x.neg(), opts);
    f(tensor([1]));
    expect(caught(() => f.ir("lowered" as never), UsageError).message).toContain("unknown stage 'lowered' (stages: traced, grad, optimized, fused)");
  });
});

describe("no bare TypeError reaches a user", () => {
  const x = tensor([[1, 2], [3, 4]]);
  const junk: unknown[] = [undefined, null, "a", {}, [1, "b"], NaN, Symbol.for("s"), () => 1];
  // every DSL call with a junk argument either works or throws a GraftError
  const calls: [string, (j: any) => unknown][] = [
    ["tensor", (j) => tensor(j)],
    ["tensor shape", (j) => tensor([1, 2], j)],
    ["tensor dtype", (j) => tensor([1, 2], [2], j)],
    ["zeros", (j) => g.zeros(j)],
    ["add", (j) => x.add(j)],
    ["matmul", (j) => x.matmul(j)],
    ["sum axis", (j) => x.sum(j)],
    ["reshape", (j) => x.reshape(j)],
    ["transpose", (j) => x.transpose(j)],
    ["slice", (j) => x.slice(j)],
    ["concat", (j) => g.concat(j)],
    ["cast", (j) => x.cast(j)],
    ["gather", (j) => x.gather(j)],
    ["oneHot", (j) => g.oneHot(j, 3)],
    ["where", (j) => g.where(j, x, x)],
    ["variable", (j) => variable(j)],
    ["randomNormal", (j) => g.randomNormal(j)],
    ["pad", (j) => x.pad(j)],
    ["stack", (j) => g.stack(j)],
    ["expandDims", (j) => x.expandDims(j)],
    ["squeeze", (j) => x.squeeze(j)],
    ["broadcastTo", (j) => x.broadcastTo(j)],
    ["argmax", (j) => x.argmax(j)],
    ["softmax axis", (j) => g.softmax(x, j)],
    ["ones dtype", (j) => g.ones([2], j)],
    ["randomUniform opts", (j) => g.randomUniform([2], j)],
    ["fn", (j) => fn(j)],
    ["fn opts", (j) => fn((t: Tensor) => t, j)],
  ];
  it.each(calls)("%s", (_name, call) => {
    for (const j of junk) {
      try {
        call(j);
      } catch (e) {
        expect(e, `${String(j === undefined ? "undefined" : typeof j === "symbol" ? "symbol" : JSON.stringify(j))}: ${String(e)}`).toBeInstanceOf(GraftError);
      }
    }
  });
});
