/** @file Hand-computed values: broadcasting edge cases, dtype rules, reductions, matmul, the f64 mode and checked runs. */
import { describe, expect, it } from "vitest";
import {
  Builder, DTypeError, GraftError, interpret, NaNError, nd, parse, ShapeError, UsageError, type NDArray,
} from "../../src/ir/index.js";
import { expectRoundTrip, runOp } from "./helpers.js";

const arr = (a: NDArray): number[] => Array.from(a.data);
const f32 = (shape: number[], data: number[]): NDArray => nd("f32", shape, data);
const i32 = (shape: number[], data: number[]): NDArray => nd("i32", shape, data);

describe("broadcasting", () => {
  it("scalar with scalar, and a size-1 vector with a scalar", () => {
    const s = runOp("add", [f32([], [2]), f32([], [3])]);
    expect(s.shape).toEqual([]);
    expect(arr(s)).toEqual([5]);
    const v = runOp("mul", [f32([1], [4]), f32([], [0.5])]);
    expect(v.shape).toEqual([1]);
    expect(arr(v)).toEqual([2]);
  });

  it("size-1 axes stretch on both sides: [3,1] - [1,4]", () => {
    const out = runOp("sub", [f32([3, 1], [10, 20, 30]), f32([1, 4], [1, 2, 3, 4])]);
    expect(out.shape).toEqual([3, 4]);
    expect(arr(out)).toEqual([9, 8, 7, 6, 19, 18, 17, 16, 29, 28, 27, 26]);
  });

  it("rank mismatch aligns on the right: [2,1,3] + [4,1] -> [2,4,3]", () => {
    const a = f32([2, 1, 3], [0, 1, 2, 100, 101, 102]);
    const b = f32([4, 1], [0, 10, 20, 30]);
    const out = runOp("add", [a, b]);
    expect(out.shape).toEqual([2, 4, 3]);
    // out[i,j,k] = a[i,0,k] + b[j,0]
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) {
      expect(out.data[(i * 4 + j) * 3 + k]).toBe(a.data[i * 3 + k]! + b.data[j]!);
    }
  });

  it("empty axes broadcast to empty results", () => {
    const out = runOp("add", [f32([0, 3], []), f32([3], [1, 2, 3])]);
    expect(out.shape).toEqual([0, 3]);
    expect(out.data.length).toBe(0);
  });

  it("incompatible shapes name the op, both shapes and the axis", () => {
    expect(() => runOp("add", [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3, 2], [1, 2, 3, 4, 5, 6])])).toThrow(
      "add: shapes [2,3] and [3,2] do not broadcast (axis 0: 2 vs 3)");
    expect(() => runOp("add", [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2], [1, 2])])).toThrow(ShapeError);
  });

  it("where broadcasts condition and both branches", () => {
    const out = runOp("where", [nd("bool", [2, 1], [1, 0]), f32([3], [1, 2, 3]), f32([], [-1])]);
    expect(out.shape).toEqual([2, 3]);
    expect(arr(out)).toEqual([1, 2, 3, -1, -1, -1]);
  });
});

describe("dtypes", () => {
  it("f32 with f64 widens to f64", () => {
    const out = runOp("add", [f32([2], [1, 2]), nd("f64", [2], [0.1, 0.2])]);
    expect(out.dtype).toBe("f64");
    expect(out.data).toBeInstanceOf(Float64Array);
    expect(arr(out)).toEqual([1.1, 2.2]);
  });

  it("f32 with i32 is a DTypeError that asks for a cast; i32 with bool too", () => {
    expect(() => runOp("add", [f32([2], [1, 2]), i32([2], [1, 2])])).toThrow(/add: cannot mix f32 and i32; cast one side explicitly/);
    expect(() => runOp("mul", [i32([2], [1, 2]), nd("bool", [2], [1, 0])])).toThrow(DTypeError);
    expect(() => runOp("matmul", [f32([2, 2], [1, 2, 3, 4]), i32([2, 2], [1, 2, 3, 4])])).toThrow(/matmul: cannot mix f32 and i32/);
  });

  it("comparisons return bool; logical ops take only bool", () => {
    const c = runOp("less", [i32([4], [1, 5, 3, 3]), i32([], [3])]);
    expect(c.dtype).toBe("bool");
    expect(arr(c)).toEqual([1, 0, 0, 0]);
    expect(arr(runOp("greater_equal", [f32([3], [1, 2, 3]), f32([3], [3, 2, 1])]))).toEqual([0, 1, 1]);
    expect(arr(runOp("logical_and", [nd("bool", [4], [1, 1, 0, 0]), nd("bool", [4], [1, 0, 1, 0])]))).toEqual([1, 0, 0, 0]);
    expect(arr(runOp("logical_or", [nd("bool", [4], [1, 1, 0, 0]), nd("bool", [4], [1, 0, 1, 0])]))).toEqual([1, 1, 1, 0]);
    expect(() => runOp("logical_and", [f32([1], [1]), f32([1], [0])])).toThrow("logical_and: expects a bool tensor, got f32");
    expect(() => runOp("exp", [i32([1], [1])])).toThrow("exp: expects a float tensor, got i32");
  });

  it("i32 arithmetic: division floors toward -inf, results stay i32", () => {
    const q = runOp("div", [i32([4], [-7, 7, -7, 7]), i32([4], [2, 2, -2, -2])]);
    expect(q.dtype).toBe("i32");
    expect(arr(q)).toEqual([-4, 3, 3, -4]);
    expect(arr(runOp("relu", [i32([3], [-2, 0, 5])]))).toEqual([0, 0, 5]);
    expect(arr(runOp("abs", [i32([2], [-3, 4])]))).toEqual([3, 4]);
    expect(arr(runOp("max", [i32([2, 2], [-5, -9, -7, -2])], { axes: [1] }))).toEqual([-5, -2]);
  });

  it("mean of i32 asks for a cast instead of truncating", () => {
    expect(() => runOp("mean", [i32([2], [1, 2])], { axes: [0] })).toThrow(/mean: expects a float tensor, got i32; cast it first/);
  });

  it("cast truncates toward zero to i32 and tests != 0 for bool", () => {
    expect(arr(runOp("cast", [f32([4], [-1.5, -0.5, 0.5, 2.9])], { dtype: "i32" }))).toEqual([-1, 0, 0, 2]);
    expect(arr(runOp("cast", [f32([3], [-0.1, 0, 3])], { dtype: "bool" }))).toEqual([1, 0, 1]);
  });
});

describe("NaN propagates (as in tfjs, and as Math.max in the js lowering)", () => {
  it("through relu, maximum/minimum and max/min reductions", () => {
    const x = f32([3], [NaN, -1, 2]);
    const isNaN = (a: NDArray) => Array.from(a.data, Number.isNaN);
    expect(isNaN(runOp("relu", [x]))).toEqual([true, false, false]);
    expect(isNaN(runOp("maximum", [x, f32([], [0])]))).toEqual([true, false, false]);
    expect(isNaN(runOp("minimum", [f32([], [0]), x]))).toEqual([true, false, false]);
    expect(isNaN(runOp("max", [x], { axes: [0] }))).toEqual([true]);
    expect(isNaN(runOp("min", [x], { axes: [0] }))).toEqual([true]);
  });
});

describe("reductions", () => {
  const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  it("sum, mean, max, min, prod over axes, with and without keepDims", () => {
    expect(arr(runOp("sum", [x], { axes: [0] }))).toEqual([5, 7, 9]);
    expect(arr(runOp("sum", [x], { axes: [0, 1] }))).toEqual([21]);
    expect(arr(runOp("mean", [x], { axes: [1] }))).toEqual([2, 5]);
    const k = runOp("max", [x], { axes: [1], keepDims: true });
    expect(k.shape).toEqual([2, 1]);
    expect(arr(k)).toEqual([3, 6]);
    expect(arr(runOp("min", [x], { axes: [0] }))).toEqual([1, 2, 3]);
    expect(arr(runOp("prod", [x], { axes: [1] }))).toEqual([6, 120]);
    // reducing no axes is the identity
    expect(arr(runOp("sum", [x], { axes: [] }))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("argmax returns i32 indices and the first of ties", () => {
    const a = runOp("argmax", [f32([2, 3], [1, 3, 3, 7, 0, 7])], { axis: 1 });
    expect(a.dtype).toBe("i32");
    expect(arr(a)).toEqual([1, 0]);
  });

  it("IR axes must be sorted and non-negative (the DSL normalizes them)", () => {
    expect(() => runOp("sum", [x], { axes: [1, 0] })).toThrow(/sum: axes \[1,0\] must be non-negative and sorted in IR/);
    expect(() => runOp("sum", [x], { axes: [2] })).toThrow("sum: axis 2 is out of range for rank 2");
  });
});

describe("matmul by hand", () => {
  const A = [1, 2, 3, 4];
  const B = [5, 6, 7, 8];
  it.each([
    [false, false, [19, 22, 43, 50]], // A B
    [true, false, [26, 30, 38, 44]], // A^T B
    [false, true, [17, 23, 39, 53]], // A B^T
    [true, true, [23, 31, 34, 46]], // A^T B^T
  ])("transposeA=%s transposeB=%s", (transposeA, transposeB, want) => {
    expect(arr(runOp("matmul", [f32([2, 2], A), f32([2, 2], B)], { transposeA, transposeB }))).toEqual(want);
    const ints = runOp("matmul", [i32([2, 2], A), i32([2, 2], B)], { transposeA, transposeB });
    expect(ints.dtype).toBe("i32");
    expect(arr(ints)).toEqual(want);
  });

  it("batch dims broadcast: [2,1,2,2] x [3,2,2] -> [2,3,2,2]", () => {
    const a = f32([2, 1, 2, 2], [1, 0, 0, 1, 2, 0, 0, 2]); // I and 2I
    const b = f32([3, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const out = runOp("matmul", [a, b]);
    expect(out.shape).toEqual([2, 3, 2, 2]);
    expect(arr(out)).toEqual([...b.data, ...Array.from(b.data, (v) => 2 * v)]);
  });

  it("shape errors name both operands and the flags", () => {
    expect(() => runOp("matmul", [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2, 3], [1, 2, 3, 4, 5, 6])])).toThrow(
      "matmul: inner dimensions differ (3 vs 2) in f32[2,3] x f32[2,3]");
    expect(() => runOp("matmul", [f32([3], [1, 2, 3]), f32([3, 1], [1, 2, 3])])).toThrow(/matmul: both operands need rank >= 2/);
    expect(() => runOp("matmul", [f32([2, 2, 3], new Array(12).fill(1)), f32([3, 3, 2], new Array(18).fill(1))])).toThrow(/matmul batch: shapes \[2\] and \[3\] do not broadcast/);
  });
});

describe("interpreter modes", () => {
  const g = parse(`func @tiny(%0: f32[]) -> (f32[]) {
  %1: f32[] = const {dtype=f32, shape=[], value=[1]}
  %2: f32[] = add %0, %1
  %3: f32[] = sub %2, %1
  return %3
}`);
  it("f32 mode rounds every intermediate to f32; f64 mode does not", () => {
    const x = f32([], [1e-8]);
    expect(interpret(g, [x]).outputs[0]!.data[0]).toBe(0); // 1 + 1e-8 rounds to 1 in f32
    const wide = interpret(g, [x], [], { f64: true }).outputs[0]!;
    expect(wide.dtype).toBe("f32");
    expect(wide.data[0]).toBeCloseTo(Math.fround(1e-8), 15);
  });

  it("checkNumerics names the op that produced NaN, with its source line", () => {
    const h = parse(`func @f(%0: f32[2]) -> (f32[2]) {
  %1: f32[2] = log %0  // model.ts:7
  %2: f32[2] = exp %1
  return %2
}`);
    expect(expectRoundTrip(h)).toContain("// model.ts:7");
    expect(() => interpret(h, [f32([2], [1, -1])], [], { checkNumerics: true })).toThrow(NaNError);
    expect(() => interpret(h, [f32([2], [1, -1])], [], { checkNumerics: true })).toThrow("checked run: log produced NaN at element 1 of f32[2]\n  at model.ts:7");
    expect(arr(interpret(h, [f32([2], [1, 0])]).outputs[0]!)).toEqual([1, 0]);
  });

  it("runtime errors inside a node carry the node's source line", () => {
    const b = new Builder("g");
    const x = b.input({ dtype: "f32", shape: [3] });
    const i = b.input({ dtype: "i32", shape: [1] });
    b.output(b.emit("gather", [x, i], { axis: 0 }, "user.ts:3"));
    const err = (() => {
      try {
        interpret(b.finish(), [f32([3], [1, 2, 3]), i32([1], [5])]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(GraftError);
    expect((err as GraftError).message).toBe("gather: index 5 is out of range [0, 3) on axis 0 of [3]\n  at user.ts:3");
    expect((err as GraftError).code).toBe("index");
  });

  it("rejects wrong input counts and types", () => {
    expect(() => interpret(g, [])).toThrow(UsageError);
    expect(() => interpret(g, [f32([2], [1, 2])])).toThrow("interpret: input 0 expects f32[], got f32[2]");
    expect(() => interpret(g, [i32([], [1])])).toThrow("interpret: input 0 expects f32[], got i32[]");
  });

  it("state: assigns give the new values, untouched state passes through", () => {
    const h = parse(`func @s(%0: f32[2]) state(%1: f32[2] "w", %2: i32[] "n" frozen) -> (f32[2]) {
  %3: f32[2] = add %1, %0
  assign %1, %3
  return %1
}`);
    expectRoundTrip(h);
    const r = interpret(h, [f32([2], [1, 1])], [f32([2], [5, 6]), i32([], [9])]);
    expect(arr(r.outputs[0]!)).toEqual([5, 6]); // returns the state as read at the start
    expect(arr(r.state[0]!)).toEqual([6, 7]);
    expect(arr(r.state[1]!)).toEqual([9]);
  });
});
