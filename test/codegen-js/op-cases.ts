/** @file The op-by-op case table every backend's sweep runs (one entry per OpName: a new op without a case fails to compile). */
import type { Builder, DType, OpName, Value } from "../../src/ir/index.js";
import type { Fill } from "./harness.js";

export type In = readonly [DType, readonly number[], Fill?];
export interface Case {
  readonly label: string;
  readonly ins: readonly In[];
  readonly build: (b: Builder, xs: Value[]) => Value | Value[];
}
const c = (label: string, ins: readonly In[], build: Case["build"]): Case => ({ label, ins, build });
const F = (...shape: number[]): In => ["f32", shape];
const P = (...shape: number[]): In => ["f32", shape, "pos"];
const I = (...shape: number[]): In => ["i32", shape, "int"];
const B = (...shape: number[]): In => ["bool", shape, "bool"];

/** A unary op on f32 (contiguous and after a transpose, so a strided read feeds it), f64 and, where it applies, i32. */
const unary = (op: OpName, fill: Fill = "float", ints = false): Case[] => [
  c("f32", [["f32", [3, 4], fill]], (b, [x]) => b.emit(op, [x!])),
  c("f64 [2,3,5]", [["f64", [2, 3, 5], fill]], (b, [x]) => b.emit(op, [x!])),
  c("of a transpose", [["f32", [4, 3], fill]], (b, [x]) => b.emit(op, [b.emit("transpose", [x!], { perm: [1, 0] })])),
  ...(ints ? [c("i32", [I(2, 5)], (b, [x]) => b.emit(op, [x!]))] : []),
];
/** A binary op: same shapes, a row broadcast, an outer-product broadcast, a scalar, and i32 where numeric. */
const binary = (op: OpName, fa: Fill = "float", fb: Fill = "float", ints = true): Case[] => [
  c("same shape", [["f32", [3, 4], fa], ["f32", [3, 4], fb]], (b, [x, y]) => b.emit(op, [x!, y!])),
  c("row broadcast", [["f32", [3, 4], fa], ["f32", [4], fb]], (b, [x, y]) => b.emit(op, [x!, y!])),
  c("outer broadcast", [["f32", [3, 1], fa], ["f32", [1, 4], fb]], (b, [x, y]) => b.emit(op, [x!, y!])),
  c("column broadcast, f64", [["f64", [2, 3, 1], fa], ["f64", [2, 3, 4], fb]], (b, [x, y]) => b.emit(op, [x!, y!])),
  c("scalar constant", [["f32", [5], fa]], (b, [x]) => b.emit(op, [x!, 1.5])),
  ...(ints ? [c("i32", [I(3, 4), I(4)], (b, [x, y]) => b.emit(op, [x!, y!]))] : []),
];
const reduceCases = (op: OpName, fill: Fill = "float", ints = true): Case[] => [
  c("last axis", [["f32", [3, 4, 5], fill]], (b, [x]) => b.emit(op, [x!], { axes: [2], keepDims: false })),
  c("middle axis kept", [["f32", [3, 4, 5], fill]], (b, [x]) => b.emit(op, [x!], { axes: [1], keepDims: true })),
  c("first axis", [["f32", [6, 7], fill]], (b, [x]) => b.emit(op, [x!], { axes: [0], keepDims: false })),
  c("outer axes", [["f64", [3, 4, 5], fill]], (b, [x]) => b.emit(op, [x!], { axes: [0, 2], keepDims: false })),
  c("all axes", [["f32", [3, 4, 5], fill]], (b, [x]) => b.emit(op, [x!], { axes: [0, 1, 2], keepDims: false })),
  c("of an elementwise prologue", [["f32", [4, 6], fill]], (b, [x]) => b.emit(op, [b.o.mul(b.o.add(x!, 0.5), x!)], { axes: [1], keepDims: true })),
  ...(ints ? [c("i32", [I(4, 5)], (b, [x]) => b.emit(op, [x!], { axes: [1], keepDims: false }))] : []),
];
const mm = (ta: boolean, tb: boolean) => (b: Builder, [x, y]: Value[]) => b.emit("matmul", [x!, y!], { transposeA: ta, transposeB: tb });

export const CASES: Record<OpName, Case[] | { readonly covered: string }> = {
  neg: unary("neg", "float", true), exp: unary("exp"), log: unary("log", "pos"), sqrt: unary("sqrt", "pos"), rsqrt: unary("rsqrt", "pos"),
  square: unary("square", "float", true), abs: unary("abs", "float", true), sign: unary("sign", "float", true), tanh: unary("tanh"),
  sigmoid: unary("sigmoid"), relu: unary("relu", "float", true), sin: unary("sin"), cos: unary("cos"), log1p: unary("log1p", "pos"),
  expm1: unary("expm1"), floor: unary("floor"),
  logical_not: [c("bool", [B(3, 4)], (b, [x]) => b.o.logical_not(x!))],
  add: binary("add"), sub: binary("sub"), mul: binary("mul"), div: binary("div", "float", "pos"), pow: binary("pow", "pos", "float", false),
  maximum: binary("maximum"), minimum: binary("minimum"), equal: [...binary("equal", "int", "int"), c("bool", [B(3, 4), B(4)], (b, [x, y]) => b.o.equal(x!, y!))],
  not_equal: [...binary("not_equal", "int", "int"), c("bool", [B(3, 1), B(1, 4)], (b, [x, y]) => b.o.not_equal(x!, y!))],
  less: binary("less"), less_equal: binary("less_equal", "int", "int"), greater: binary("greater"), greater_equal: binary("greater_equal", "int", "int"),
  logical_and: [c("bool", [B(3, 4), B(4)], (b, [x, y]) => b.o.logical_and(x!, y!))],
  logical_or: [c("bool", [B(3, 1), B(1, 4)], (b, [x, y]) => b.o.logical_or(x!, y!))],
  where: [
    c("broadcast condition", [B(3, 1), F(3, 4), F(4)], (b, [p, x, y]) => b.o.where(p!, x!, y!)),
    c("i32 branches", [B(5), I(5), I(5)], (b, [p, x, y]) => b.o.where(p!, x!, y!)),
    c("bool branches", [B(3, 4), B(3, 4), B(4)], (b, [p, x, y]) => b.o.where(p!, x!, y!)),
  ],
  cast: [
    c("f32 -> i32", [F(3, 4)], (b, [x]) => b.emit("cast", [b.o.mul(x!, 7)], { dtype: "i32" })),
    c("i32 -> f32", [I(3, 4)], (b, [x]) => b.emit("cast", [x!], { dtype: "f32" })),
    c("f32 -> bool -> f32", [I(6)], (b, [x]) => b.emit("cast", [b.emit("cast", [x!], { dtype: "bool" })], { dtype: "f32" })),
    c("f64 -> f32 rounds", [["f64", [8], "float"]], (b, [x]) => b.emit("cast", [b.o.div(x!, 3)], { dtype: "f32" })),
    c("f32 -> f64", [F(8)], (b, [x]) => b.o.mul(b.emit("cast", [x!], { dtype: "f64" }), 1 / 3)),
  ],
  sum: reduceCases("sum"), mean: reduceCases("mean", "float", false), max: reduceCases("max"), min: reduceCases("min"), prod: reduceCases("prod", "pos", false),
  argmax: [
    c("middle axis", [F(3, 4, 5)], (b, [x]) => b.emit("argmax", [x!], { axis: 1 })),
    c("last axis, i32", [I(4, 6)], (b, [x]) => b.emit("argmax", [x!], { axis: 1 })),
  ],
  reshape: [
    c("alias then math", [F(3, 4)], (b, [x]) => b.o.add(b.emit("reshape", [x!], { shape: [2, 6] }), 1)),
    c("returned as is", [F(3, 4)], (b, [x]) => b.emit("reshape", [x!], { shape: [12] })),
  ],
  transpose: [
    c("2-D", [F(5, 7)], (b, [x]) => b.emit("transpose", [x!], { perm: [1, 0] })),
    c("3-D", [F(2, 3, 4)], (b, [x]) => b.emit("transpose", [x!], { perm: [2, 0, 1] })),
    c("large 2-D", [F(70, 90)], (b, [x]) => b.emit("transpose", [x!], { perm: [1, 0] })),
  ],
  broadcast_to: [c("column to 3-D", [F(3, 1)], (b, [x]) => b.emit("broadcast_to", [x!], { shape: [2, 3, 4] }))],
  slice: [c("window", [F(4, 5)], (b, [x]) => b.emit("slice", [x!], { begin: [1, 2], size: [2, 3] }))],
  pad: [c("both sides", [F(2, 3)], (b, [x]) => b.emit("pad", [x!], { before: [1, 0], after: [0, 2] }))],
  concat: [
    c("axis 1", [F(2, 3), F(2, 2)], (b, [x, y]) => b.emit("concat", [x!, y!], { axis: 1 })),
    c("three on axis 0, i32", [I(1, 3), I(2, 3), I(1, 3)], (b, xs) => b.emit("concat", xs, { axis: 0 })),
  ],
  matmul: [
    c("plain", [F(3, 4), F(4, 5)], mm(false, false)),
    c("transposeA", [F(4, 3), F(4, 5)], mm(true, false)),
    c("transposeB", [F(3, 4), F(5, 4)], mm(false, true)),
    c("both transposed", [F(4, 3), F(5, 4)], mm(true, true)),
    c("batched", [F(2, 3, 4), F(4, 5)], mm(false, false)),
    c("broadcast batch, transposeB", [F(2, 1, 3, 4), F(3, 5, 4)], mm(false, true)),
    c("f64", [["f64", [6, 9], "float"], ["f64", [9, 2], "float"]], mm(false, false)),
    c("i32", [I(3, 4), I(4, 5)], mm(false, false)),
    c("blocked edges (several K, N and M blocks)", [F(70, 400), F(400, 300)], mm(false, false)),
    c("blocked edges transposed", [F(400, 70), F(300, 400)], mm(true, true)),
  ],
  gather: [
    c("rows", [F(5, 3), ["i32", [4], { idx: 5 }]], (b, [x, i]) => b.emit("gather", [x!, i!], { axis: 0 })),
    c("axis 1, 2-D indices", [F(2, 5, 3), ["i32", [2, 2], { idx: 5 }]], (b, [x, i]) => b.emit("gather", [x!, i!], { axis: 1 })),
  ],
  scatter_add: [
    c("repeated rows", [F(6, 3), ["i32", [6], { idx: 4 }]], (b, [u, i]) => b.emit("scatter_add", [u!, i!], { axis: 0, size: 4 })),
    c("axis 1", [F(2, 3, 2), ["i32", [3], { idx: 5 }]], (b, [u, i]) => b.emit("scatter_add", [u!, i!], { axis: 1, size: 5 })),
  ],
  const: [
    c("data constant", [F(2, 3)], (b, [x]) => b.o.add(x!, b.emit("const", [], { dtype: "f32", shape: [2, 3], value: [0.1, -2, 3, NaN, 1e30, -0] }))),
    c("splat returned", [], (b) => b.constant(0.1, "f32", [2, 2])),
    c("i32 splat", [I(4)], (b, [x]) => b.o.mul(x!, b.constant(3, "i32", [4]))),
  ],
  iota: [
    c("i32 axis 1", [], (b) => b.emit("iota", [], { dtype: "i32", shape: [3, 4], axis: 1 })),
    c("f32 axis 0 in math", [F(3, 4)], (b, [x]) => b.o.mul(x!, b.emit("iota", [], { dtype: "f32", shape: [3, 4], axis: 0 }))),
  ],
  random_uniform: [c("same bits as the interpreter", [["i32", [2], { idx: 1000 }]], (b, [k]) => b.emit("random_uniform", [k!], { dtype: "f32", shape: [64, 3] }))],
  random_normal: [c("same bits as the interpreter", [["i32", [2], { idx: 1000 }]], (b, [k]) => b.emit("random_normal", [k!], { dtype: "f64", shape: [101] }))],
  stop_gradient: [c("identity", [F(3, 4)], (b, [x]) => b.o.mul(b.o.stop_gradient(x!), 2))],
  fusion: { covered: "every fused-stage run below goes through fusion nodes; fusion.test.ts covers the patterns" },
  grad: { covered: "markers are expanded by lowerStages; see the 'gradient markers' test below" },
  custom_grad: { covered: "the identity on its value; see the 'gradient markers' test below" },
};

