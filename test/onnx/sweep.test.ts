/** @file The registry sweep: every op with an ONNX lowering, at several shapes and dtypes, run by ONNX Runtime,
 * equals the reference interpreter; so does its gradient graph; every model passes the ONNX checker. */
import { afterAll, describe, expect, it } from "vitest";
import { Builder, OP_NAMES, OPS, interpret, isFloat, type DType, type Graph, type OpName, type Value } from "../../src/ir/index.js";
import { expandGradients } from "../../src/passes/grad.js";
import { expectClose, randomArray, rng, type Fill } from "../codegen-js/harness.js";
import { checkModels, modelBytes, runOnnx } from "./helpers.js";

type In = readonly [DType, readonly number[], Fill?];
interface Case { readonly label: string; readonly ins: readonly In[]; readonly build: (b: Builder, xs: Value[]) => Value }
const c = (label: string, ins: readonly In[], build: Case["build"]): Case => ({ label, ins, build });
const T = (d: DType, ...shape: number[]): In => [d, shape];
const unary = (op: OpName, fill: Fill = "float", dtypes: DType[] = ["f32", "f64"]): Case[] => [
  ...dtypes.map((d) => c(`${d} [3,4]`, [[d, [3, 4], d === "i32" ? "int" : fill]], (b, [x]) => b.emit(op, [x!]))),
  c("f32 scalar", [["f32", [], fill]], (b, [x]) => b.emit(op, [x!])),
];
const binary = (op: OpName, fa: Fill = "float", fb: Fill = "float", dtypes: DType[] = ["f32", "f64", "i32"]): Case[] => [
  ...dtypes.map((d) => c(`${d} row broadcast`, [[d, [3, 4], d === "i32" ? "int" : fa], [d, [4], d === "i32" ? "int" : fb]], (b, [x, y]) => b.emit(op, [x!, y!]))),
  c("f32 outer broadcast", [["f32", [3, 1], fa], ["f32", [2, 1, 4], fb]], (b, [x, y]) => b.emit(op, [x!, y!])),
  c("f32 with a scalar constant", [["f32", [5], fa]], (b, [x]) => b.emit(op, [x!, 1.5])),
];
const reduce = (op: OpName, fill: Fill = "float", dtypes: DType[] = ["f32", "f64", "i32"]): Case[] => [
  ...dtypes.map((d) => c(`${d} middle axis`, [[d, [3, 4, 5], d === "i32" ? "int" : fill]], (b, [x]) => b.emit(op, [x!], { axes: [1], keepDims: false }))),
  c("f32 outer axes kept", [["f32", [3, 4, 5], fill]], (b, [x]) => b.emit(op, [x!], { axes: [0, 2], keepDims: true })),
  c("f32 all axes", [["f32", [2, 3], fill]], (b, [x]) => b.emit(op, [x!], { axes: [0, 1], keepDims: false })),
  c("f32 no axes", [["f32", [2, 3], fill]], (b, [x]) => b.emit(op, [x!], { axes: [], keepDims: false })),
];
const mm = (ta: boolean, tb: boolean) => (b: Builder, [x, y]: Value[]) => b.emit("matmul", [x!, y!], { transposeA: ta, transposeB: tb });
const cmp = (op: OpName, eq = false): Case[] => [...binary(op, "int", "int"), ...(eq ? [c("bool", [T("bool", 3, 4), T("bool", 4)], (b, [x, y]) => b.emit(op, [x!, y!]))] : [])];

const CASES: Record<OpName, Case[] | { readonly none: string }> = {
  neg: unary("neg", "float", ["f32", "f64", "i32"]), exp: unary("exp"), log: unary("log", "pos"), sqrt: unary("sqrt", "pos"), rsqrt: unary("rsqrt", "pos"),
  square: unary("square", "float", ["f32", "f64", "i32"]), abs: unary("abs", "float", ["f32", "f64", "i32"]), sign: unary("sign", "float", ["f32", "f64", "i32"]),
  tanh: unary("tanh"), sigmoid: unary("sigmoid"), relu: unary("relu", "float", ["f32", "f64", "i32"]), sin: unary("sin"), cos: unary("cos"),
  log1p: unary("log1p", "pos"), expm1: unary("expm1"), floor: unary("floor"),
  logical_not: [c("bool", [T("bool", 3, 4)], (b, [x]) => b.o.logical_not(x!))],
  add: binary("add"), sub: binary("sub"), mul: binary("mul"), div: [...binary("div", "float", "pos"), c("i32 floors negative quotients", [["i32", [12], "int"], ["i32", [12], { idx: 4 }]], (b, [x, y]) => b.o.div(x!, b.o.add(y!, 1)))],
  pow: binary("pow", "pos", "float", ["f32", "f64"]), maximum: binary("maximum"), minimum: binary("minimum"),
  equal: cmp("equal", true), not_equal: cmp("not_equal", true), less: cmp("less"), less_equal: cmp("less_equal"), greater: cmp("greater"), greater_equal: cmp("greater_equal"),
  logical_and: [c("bool", [T("bool", 3, 4), T("bool", 4)], (b, [x, y]) => b.o.logical_and(x!, y!))],
  logical_or: [c("bool", [T("bool", 3, 1), T("bool", 1, 4)], (b, [x, y]) => b.o.logical_or(x!, y!))],
  where: [
    c("f32 broadcast condition", [T("bool", 3, 1), T("f32", 3, 4), T("f32", 4)], (b, [p, x, y]) => b.o.where(p!, x!, y!)),
    c("f64", [T("bool", 5), T("f64", 5), T("f64", 5)], (b, [p, x, y]) => b.o.where(p!, x!, y!)),
    c("i32", [T("bool", 5), ["i32", [5], "int"], ["i32", [5], "int"]], (b, [p, x, y]) => b.o.where(p!, x!, y!)),
    c("bool", [T("bool", 3, 4), T("bool", 3, 4), T("bool", 4)], (b, [p, x, y]) => b.o.where(p!, x!, y!)),
  ],
  cast: [
    c("f32 -> i32 truncates", [T("f32", 3, 4)], (b, [x]) => b.emit("cast", [b.o.mul(x!, 7)], { dtype: "i32" })),
    c("i32 -> f32", [["i32", [3, 4], "int"]], (b, [x]) => b.emit("cast", [x!], { dtype: "f32" })),
    c("i32 -> bool -> f64", [["i32", [6], "int"]], (b, [x]) => b.emit("cast", [b.emit("cast", [x!], { dtype: "bool" })], { dtype: "f64" })),
    c("f64 -> f32", [T("f64", 8)], (b, [x]) => b.emit("cast", [b.o.div(x!, 3)], { dtype: "f32" })),
  ],
  sum: reduce("sum"), mean: reduce("mean", "float", ["f32", "f64"]), max: reduce("max"), min: reduce("min"), prod: reduce("prod", "pos", ["f32", "f64", "i32"]),
  argmax: [
    c("f32 middle axis", [T("f32", 3, 4, 5)], (b, [x]) => b.emit("argmax", [x!], { axis: 1 })),
    c("i32 ties take the first", [["i32", [4, 6], "int"]], (b, [x]) => b.emit("argmax", [x!], { axis: 1 })),
    c("f64", [T("f64", 7)], (b, [x]) => b.emit("argmax", [x!], { axis: 0 })),
  ],
  reshape: [c("f32", [T("f32", 3, 4)], (b, [x]) => b.emit("reshape", [x!], { shape: [2, 6] })), c("i32 to scalar", [["i32", [1, 1], "int"]], (b, [x]) => b.emit("reshape", [x!], { shape: [] }))],
  transpose: [c("f32 3-D", [T("f32", 2, 3, 4)], (b, [x]) => b.emit("transpose", [x!], { perm: [2, 0, 1] })), c("bool", [T("bool", 2, 3)], (b, [x]) => b.emit("transpose", [x!], { perm: [1, 0] }))],
  broadcast_to: [c("f32", [T("f32", 3, 1)], (b, [x]) => b.emit("broadcast_to", [x!], { shape: [2, 3, 4] })), c("f64 scalar", [T("f64")], (b, [x]) => b.emit("broadcast_to", [x!], { shape: [3] }))],
  slice: [c("f32", [T("f32", 4, 5)], (b, [x]) => b.emit("slice", [x!], { begin: [1, 2], size: [2, 3] })), c("i32", [["i32", [6], "int"]], (b, [x]) => b.emit("slice", [x!], { begin: [2], size: [3] }))],
  pad: [c("f32", [T("f32", 2, 3)], (b, [x]) => b.emit("pad", [x!], { before: [1, 0], after: [0, 2] })), c("f64", [T("f64", 3)], (b, [x]) => b.emit("pad", [x!], { before: [2], after: [1] }))],
  concat: [
    c("f32 axis 1", [T("f32", 2, 3), T("f32", 2, 2)], (b, [x, y]) => b.emit("concat", [x!, y!], { axis: 1 })),
    c("i32 three on axis 0", [["i32", [1, 3], "int"], ["i32", [2, 3], "int"], ["i32", [1, 3], "int"]], (b, xs) => b.emit("concat", xs, { axis: 0 })),
  ],
  matmul: [
    c("plain", [T("f32", 3, 4), T("f32", 4, 5)], mm(false, false)),
    c("transposeA", [T("f32", 4, 3), T("f32", 4, 5)], mm(true, false)),
    c("transposeB", [T("f32", 3, 4), T("f32", 5, 4)], mm(false, true)),
    c("batched both transposed", [T("f32", 2, 4, 3), T("f32", 5, 4)], mm(true, true)),
    c("broadcast batch, transposeB", [T("f32", 2, 1, 3, 4), T("f32", 3, 5, 4)], mm(false, true)),
    c("f64", [T("f64", 6, 9), T("f64", 9, 2)], mm(false, false)),
    c("i32", [["i32", [3, 4], "int"], ["i32", [5, 4], "int"]], mm(false, true)),
  ],
  gather: [
    c("rows", [T("f32", 5, 3), ["i32", [4], { idx: 5 }]], (b, [x, i]) => b.emit("gather", [x!, i!], { axis: 0 })),
    c("axis 1, 2-D indices, f64", [T("f64", 2, 5, 3), ["i32", [2, 2], { idx: 5 }]], (b, [x, i]) => b.emit("gather", [x!, i!], { axis: 1 })),
  ],
  scatter_add: [
    c("repeated rows", [T("f32", 6, 3), ["i32", [6], { idx: 4 }]], (b, [u, i]) => b.emit("scatter_add", [u!, i!], { axis: 0, size: 4 })),
    c("axis 1, 2-D indices, f64", [T("f64", 2, 3, 2, 2), ["i32", [3, 2], { idx: 5 }]], (b, [u, i]) => b.emit("scatter_add", [u!, i!], { axis: 1, size: 5 })),
  ],
  const: [
    c("data constant", [T("f32", 2, 3)], (b, [x]) => b.o.add(x!, b.emit("const", [], { dtype: "f32", shape: [2, 3], value: [0.1, -2, 3, NaN, 1e30, -0] }))),
    c("splat returned", [], (b) => b.constant(0.1, "f32", [2, 2])),
    c("i32 splat", [["i32", [4], "int"]], (b, [x]) => b.o.mul(x!, b.constant(3, "i32", [4]))),
    c("bool", [], (b) => b.emit("const", [], { dtype: "bool", shape: [3], value: [1, 0, 1] })),
  ],
  iota: [c("i32 axis 1", [], (b) => b.emit("iota", [], { dtype: "i32", shape: [3, 4], axis: 1 })), c("f32 axis 0", [T("f32", 3, 4)], (b, [x]) => b.o.mul(x!, b.emit("iota", [], { dtype: "f32", shape: [3, 4], axis: 0 })))],
  random_uniform: [c("same bits as the interpreter", [["i32", [2], { idx: 1000 }]], (b, [k]) => b.emit("random_uniform", [k!], { dtype: "f32", shape: [64, 3] }))],
  random_normal: [c("key computed in the graph, f64", [["i32", [2], { idx: 1000 }]], (b, [k]) => b.emit("random_normal", [b.o.add(k!, 1)], { dtype: "f64", shape: [101] }))],
  stop_gradient: [c("identity", [T("f32", 3, 4)], (b, [x]) => b.o.mul(b.o.stop_gradient(x!), 2))],
  custom_grad: { none: "only in the traced stage (replaced by its value when gradients expand); covered by the examples' steps" },
  fusion: { none: "no ONNX form (see the bad-input tests)" },
  grad: { none: "no ONNX form: expanded before lowering; the gradient part of this sweep runs the expanded graphs" },
};

const built: { name: string; bytes: Uint8Array }[] = [];

function build(op: string, ci: number, k: Case): Graph {
  const b = new Builder(`${op}_${ci}`);
  const xs = k.ins.map(([dtype, shape]) => b.input({ dtype, shape }));
  b.output(k.build(b, xs));
  return b.finish();
}

/** d sum(y * w) / d (float inputs), w a fixed random cotangent: the VJP as ordinary IR. */
function gradGraph(op: string, ci: number, k: Case): Graph | undefined {
  const b = new Builder(`${op}_${ci}_grad`);
  const xs = k.ins.map(([dtype, shape]) => b.input({ dtype, shape }));
  const y = k.build(b, xs);
  const wrt = xs.filter((x) => isFloat(x.dtype));
  if (!isFloat(y.dtype) || !wrt.length || "zero" in OPS[op as OpName].vjp || "none" in OPS[op as OpName].vjp) return undefined;
  const r = rng(ci + 17);
  const w = b.emit("const", [], { dtype: y.dtype, shape: [...y.shape], value: Array.from({ length: y.shape.reduce((a, d) => a * d, 1) }, () => r() - 0.5) });
  const loss = b.emit("sum", [b.o.mul(y, w)], { axes: [...y.shape.keys()], keepDims: false });
  b.output(...b.emitMulti("grad", [loss, ...wrt]));
  return expandGradients(b.finish());
}

function compare(g: Graph, k: Case, seed: number): void {
  const r = rng(seed);
  const inputs = g.inputs.map((v, i) => randomArray(v.type, k.ins[i]![2] ?? (v.dtype === "bool" ? "bool" : v.dtype === "i32" ? "int" : "float"), r));
  const ref = interpret(g, inputs);
  const got = runOnnx(g, inputs);
  ref.outputs.forEach((o, i) => expectClose(got.outputs[i]!, o, `${g.name} output ${i}`, 2e-5, 1e-5));
  built.push({ name: g.name, bytes: modelBytes(g) });
}

describe("ONNX Runtime vs the interpreter, op by op", () => {
  it("has a case (or a reason) for every op", () => {
    expect(OP_NAMES.filter((op) => !(op in CASES))).toEqual([]);
    // the ops without cases are exactly those without an ONNX lowering, plus the traced-only custom_grad
    const noLowering = OP_NAMES.filter((op) => "none" in OPS[op].onnx);
    expect(noLowering.sort()).toEqual(["fusion", "grad"]);
  });
  for (const op of OP_NAMES) {
    const cases = CASES[op];
    if (!Array.isArray(cases)) continue;
    describe(op, () => {
      cases.forEach((k, ci) => {
        it(k.label, () => compare(build(op, ci, k), k, ci * 7919 + op.length));
        const gg = gradGraph(op, ci, k);
        if (gg) it(`${k.label}: gradient graph`, () => compare(gg, k, ci * 7919 + op.length));
      });
    });
  }
  afterAll(() => {
    // one checker process for every model of the sweep
    expect(checkModels(built)).toEqual([]);
  });
});
