/** @file Every op through the tfjs codegen, on the cpu and wasm backends, against the reference interpreter. */
import { beforeAll, describe, expect, it } from "vitest";
import { Builder, constAttrsOf, GraftError, nd, OP_NAMES, type Graph, type NDArray, type OpName } from "../../src/ir/index.js";
import { initTfjs, type TfjsBackendName } from "../../src/runtime/tfjs.js";
import { emitTfjs } from "../../src/codegen/tfjs/index.js";
import { expectSame, Gen, runInterp, runTfjs } from "./helpers.js";

beforeAll(() => initTfjs("wasm"));

interface Case {
  readonly ins: NDArray[];
  readonly attrs?: Record<string, unknown>;
  readonly body?: Graph;
  /** Looser float tolerance (transcendentals differ between tfjs kernels and Math.*). */
  readonly rtol?: number;
}
type Entry = ((g: Gen) => Case[]) | { readonly none: string };

const F = [3, 4];
const unaryF = (lo = -3, hi = 3, rtol?: number): Entry => (g) => [
  { ins: [g.f(F, lo, hi)], ...(rtol ? { rtol } : {}) },
  { ins: [g.f([], lo, hi)], ...(rtol ? { rtol } : {}) },
];
const unaryN: Entry = (g) => [{ ins: [g.fi(F)] }, { ins: [g.f([2, 1, 3])] }, { ins: [g.i([2, 5])] }];
/** Binary ops over the broadcasts that matter, plus i32 and f64 (which tfjs runs as float32). */
const binary = (kind: "f" | "fi" | "pos" = "f", ints = true) => (g: Gen): Case[] => {
  const mk = (s: number[]) => (kind === "pos" ? g.f(s, 0.25, 3) : kind === "fi" ? g.fi(s) : g.f(s));
  const out: Case[] = [
    { ins: [mk(F), mk(F)] },
    { ins: [mk([2, 3, 4]), mk([3, 1])] },
    { ins: [mk([1, 4]), mk([3, 1])] },
    { ins: [mk([]), mk([2, 3])] },
    { ins: [g.f(F, 0.25, 3, "f64"), g.f(F, 0.25, 3, "f64")] },
  ];
  if (ints) out.push({ ins: [g.i([2, 3], kind === "pos" ? 1 : -4, 4), g.i([3], kind === "pos" ? 1 : -4, 4)] });
  return out;
};
const reduce = (ints: boolean): Entry => (g) => {
  const out: Case[] = [];
  for (const axes of [[1], [0, 2], [0, 1, 2]]) for (const keepDims of [false, true]) out.push({ ins: [g.f([2, 3, 4], 0.5, 1.5)], attrs: { axes, keepDims } });
  if (ints) out.push({ ins: [g.i([3, 4], -9, -1)], attrs: { axes: [1], keepDims: false } }, { ins: [g.i([3, 4], 1, 3)], attrs: { axes: [0, 1], keepDims: true } });
  return out;
};

/** A body graph built with the builder: `make` gets the body inputs and returns its outputs. */
function body(types: readonly NDArray[], make: (b: Builder, xs: ReturnType<Builder["input"]>[]) => ReturnType<Builder["input"]>[]): Graph {
  const b = new Builder("body");
  const xs = types.map((a) => b.input({ dtype: a.dtype, shape: a.shape }));
  return b.output(...make(b, xs)).finish();
}

const TABLE: { readonly [K in OpName]: Entry } = {
  neg: unaryN, square: unaryN, abs: unaryN, sign: unaryN, relu: unaryN,
  exp: unaryF(), tanh: unaryF(), sigmoid: unaryF(-6, 6), sin: unaryF(), cos: unaryF(), expm1: unaryF(-2, 2, 1e-4), floor: unaryF(),
  log: unaryF(0.1, 4), sqrt: unaryF(0, 4), rsqrt: unaryF(0.1, 4), log1p: unaryF(-0.9, 3, 1e-4),
  logical_not: (g) => [{ ins: [g.b(F)] }],
  add: binary(), sub: binary(), mul: binary(), maximum: binary("fi"), minimum: binary("fi"),
  div: (g) => [{ ins: [g.f(F), g.f(F, 0.5, 2)] }, { ins: [g.f([2, 3]), g.f([], 0.5, 2)] }, { ins: [g.i([2, 4], -9, 9), nd("i32", [4], [2, -3, 4, -1])] }],
  pow: (g) => [{ ins: [g.f(F, 0.25, 3), g.f(F, -2, 2)], rtol: 1e-4 }, { ins: [g.i([2, 3], -3, 3), g.i([3], 0, 3)] }],
  equal: (g) => [...binary("fi")(g), { ins: [g.b([3, 1]), g.b([4])] }], not_equal: (g) => [...binary("fi")(g), { ins: [g.b(F), g.b(F)] }], less: binary("fi"), less_equal: binary("fi"), greater: binary("fi"), greater_equal: binary("fi"),
  logical_and: (g) => [{ ins: [g.b(F), g.b(F)] }, { ins: [g.b([3, 1]), g.b([4])] }],
  logical_or: (g) => [{ ins: [g.b(F), g.b(F)] }, { ins: [g.b([3, 1]), g.b([4])] }],
  where: (g) => [{ ins: [g.b(F), g.f(F), g.f(F)] }, { ins: [g.b([3, 1]), g.f([4]), g.f([])] }, { ins: [g.b(F), g.i(F), g.i([4])] }, { ins: [g.b(F), g.b(F), g.b([4])] }],
  cast: (g) => [
    { ins: [g.f(F, -3, 3)], attrs: { dtype: "i32" } },
    { ins: [g.fi(F, -1, 1)], attrs: { dtype: "bool" } },
    { ins: [g.i(F)], attrs: { dtype: "f32" } },
    { ins: [g.i(F, -1, 1)], attrs: { dtype: "bool" } },
    { ins: [g.b(F)], attrs: { dtype: "f32" } },
    { ins: [g.b(F)], attrs: { dtype: "i32" } },
    { ins: [g.f(F)], attrs: { dtype: "f64" } },
  ],
  sum: reduce(true), mean: reduce(false), max: reduce(true), min: reduce(true), prod: reduce(true),
  argmax: (g) => [{ ins: [g.f(F)], attrs: { axis: 0 } }, { ins: [g.fi([2, 3, 4])], attrs: { axis: 2 } }, { ins: [g.i([3, 5])], attrs: { axis: 1 } }],
  reshape: (g) => [{ ins: [g.f([2, 3, 4])], attrs: { shape: [6, 4] } }, { ins: [g.i([6])], attrs: { shape: [1, 2, 3] } }],
  transpose: (g) => [{ ins: [g.f([2, 3, 4])], attrs: { perm: [2, 0, 1] } }, { ins: [g.b(F)], attrs: { perm: [1, 0] } }],
  broadcast_to: (g) => [{ ins: [g.f([3, 1])], attrs: { shape: [2, 3, 4] } }, { ins: [g.i([])], attrs: { shape: [2, 2] } }],
  slice: (g) => [{ ins: [g.f([4, 5])], attrs: { begin: [1, 2], size: [2, 3] } }, { ins: [g.i([2, 3, 4])], attrs: { begin: [0, 1, 0], size: [2, 1, 4] } }],
  pad: (g) => [{ ins: [g.f([2, 3])], attrs: { before: [1, 0], after: [0, 2] } }, { ins: [g.i([3])], attrs: { before: [2], after: [1] } }],
  concat: (g) => [{ ins: [g.f([2, 1]), g.f([2, 3]), g.f([2, 2])], attrs: { axis: 1 } }, { ins: [g.i([1, 3]), g.i([2, 3])], attrs: { axis: 0 } }],
  matmul: (g) => [
    ...[false, true].flatMap((ta) => [false, true].map((tb) => ({ ins: [g.f(ta ? [4, 3] : [3, 4]), g.f(tb ? [5, 4] : [4, 5])], attrs: { transposeA: ta, transposeB: tb } }))),
    { ins: [g.f([2, 3, 4]), g.f([2, 4, 5])], attrs: { transposeA: false, transposeB: false } },
    { ins: [g.f([2, 4, 3]), g.f([4, 5])], attrs: { transposeA: true, transposeB: false } },
  ],
  gather: (g) => [{ ins: [g.f([5, 3]), nd("i32", [4], [4, 0, 2, 0])], attrs: { axis: 0 } }, { ins: [g.i([2, 5, 3]), nd("i32", [2, 2], [1, 4, 4, 0])], attrs: { axis: 1 } }],
  scatter_add: (g) => [
    { ins: [g.f([4, 3]), nd("i32", [4], [4, 0, 2, 0])], attrs: { axis: 0, size: 5 } },
    { ins: [g.f([2, 2, 2, 3]), nd("i32", [2, 2], [1, 4, 4, 0])], attrs: { axis: 1, size: 5 } },
    { ins: [g.i([3, 2]), nd("i32", [2], [2, 2])], attrs: { axis: 1, size: 3 } },
  ],
  const: () => [
    { ins: [], attrs: { dtype: "f32", shape: [2, 3], value: [1.5] } },
    { ins: [], attrs: { dtype: "f32", shape: [4], value: [-Infinity, -0, 2.25, Infinity] } },
    { ins: [], attrs: { dtype: "i32", shape: [2, 2], value: [1, -2, 3, 4] } },
    { ins: [], attrs: { dtype: "bool", shape: [3], value: [1] } },
    { ins: [], attrs: { dtype: "f32", shape: [], value: [Number.NaN] } },
  ],
  iota: () => [{ ins: [], attrs: { dtype: "i32", shape: [3, 4], axis: 1 } }, { ins: [], attrs: { dtype: "f32", shape: [2, 3], axis: 0 } }],
  random_uniform: () => [{ ins: [nd("i32", [2], [42, 7])], attrs: { dtype: "f32", shape: [3, 5] } }],
  random_normal: () => [{ ins: [nd("i32", [2], [-5, 1234567])], attrs: { dtype: "f32", shape: [4, 4] }, rtol: 1e-6 }],
  stop_gradient: (g) => [{ ins: [g.f(F)] }],
  fusion: (g) => {
    const ew = [g.f(F), g.f([4])];
    const mm = [g.f([3, 4]), g.f([4, 5]), g.f([5])];
    const rd = [g.f([2, 3, 4])];
    return [
      { ins: ew, attrs: { kind: "elementwise", name: "add_exp" }, body: body(ew, (b, [x, y]) => [b.o.exp(b.o.add(x!, y!)), b.o.mul(x!, 2)]) },
      { ins: rd, attrs: { kind: "reduce", name: "sum_sq" }, body: body(rd, (b, [x]) => [b.o.sqrt(b.emit("sum", [b.o.square(x!)], { axes: [2], keepDims: false }))]) },
      { ins: mm, attrs: { kind: "matmul", name: "matmul_add_relu" }, body: body(mm, (b, [x, w, c]) => [b.o.relu(b.o.add(b.o.matmul(x!, w!), c!))]) },
    ];
  },
  grad: { none: "a gradient marker; the grad pass expands it before any backend sees the graph" },
  custom_grad: (g) => {
    const ins = [g.f(F), g.f(F)];
    // body(x, value, dy) -> dx: the rule is never run forward; the node is the identity on `value`
    return [{ ins, attrs: { n: 1 }, body: body([ins[0]!, ins[1]!, ins[1]!], (b, [, , dy]) => [b.o.mul(dy!, 3)]) }];
  },
};

/** The case's graph: one node over graph inputs, or over constants (so folding and const lowering run). */
function caseGraph(op: OpName, c: Case, asConsts: boolean): Graph {
  const b = new Builder(op);
  const vals = c.ins.map((a) => (asConsts ? b.emit("const", [], constAttrsOf(a)) : b.input({ dtype: a.dtype, shape: a.shape })));
  b.output(...b.emitMulti(op, vals, c.attrs as never, undefined, c.body));
  return b.finish();
}

const MODES = [
  { name: "inputs", asConsts: false, fold: true },
  { name: "consts, lowered", asConsts: true, fold: false },
  { name: "consts, folded", asConsts: true, fold: true },
] as const;

describe.each(["cpu", "wasm"] as TfjsBackendName[])("tfjs %s backend", (backend) => {
  it("covers every op in the registry", () => {
    expect(OP_NAMES.filter((op) => !(op in TABLE))).toEqual([]);
  });

  it.each(OP_NAMES.filter((op) => typeof TABLE[op] === "function"))("%s equals the interpreter", (op) => {
    const cases = (TABLE[op] as (g: Gen) => Case[])(new Gen(OP_NAMES.indexOf(op) + 1));
    expect(cases.length).toBeGreaterThan(0);
    cases.forEach((c, k) => {
      for (const mode of MODES) {
        const g = caseGraph(op, c, mode.asConsts);
        const ins = mode.asConsts ? [] : c.ins;
        const want = runInterp(g, ins).outputs;
        const got = runTfjs(g, ins, backend, { tfjsFold: mode.fold });
        want.forEach((w, i) => expectSame(got.outputs[i]!, w, `${op} case ${k} (${mode.name}) output ${i}\n${got.source}`, c.rtol));
      }
    });
  });

  it("broadcasts of runtime values keep NaN, Inf and -0 bit for bit (wasm lowers them as a multiply by ones)", () => {
    const b = new Builder("bcast_special");
    const x = b.input({ dtype: "f32", shape: [4, 1] });
    const c = b.input({ dtype: "bool", shape: [] });
    const wide = b.emit("broadcast_to", [x], { shape: [4, 3] });
    b.output(wide, b.o.where(c, x, b.o.neg(wide)));
    const ins = [nd("f32", [4, 1], [-0, NaN, Infinity, -Infinity]), nd("bool", [], [1])];
    const want = runInterp(b.finish(), ins).outputs;
    const got = runTfjs(b.finish(), ins, backend).outputs;
    want.forEach((w, i) => expect(Array.from(got[i]!.data)).toEqual(Array.from(w.data)));
    expect(Object.is(got[0]!.data[0], -0) && Object.is(got[1]!.data[2], -0)).toBe(true);
  });

  it.each(OP_NAMES.filter((op) => typeof TABLE[op] !== "function"))("%s is refused with a GraftError", (op) => {
    const b = new Builder(op);
    const x = b.input({ dtype: "f32", shape: [2] });
    b.output(...b.emitMulti(op, [b.o.square(x), x]));
    expect(() => runTfjs(b.finish(), [nd("f32", [2], [1, 2])], backend)).toThrow(GraftError);
  });
});

describe("folded constants", () => {
  it("equal splat or small constants share one K slot; -0 and +0, or other shapes, do not", () => {
    const b = new Builder("consts");
    const x = b.input({ dtype: "f32", shape: [3] });
    const c = (v: number, shape: number[] = []) => b.emit("const", [], constAttrsOf(nd("f32", shape, Array(shape.reduce((p, q) => p * q, 1)).fill(v))));
    const y = b.o.mul(b.o.add(b.o.mul(x, c(0.9)), c(0.9)), c(0.9, [3]));
    b.output(b.o.add(b.o.add(y, c(0)), c(-0)));
    const p = emitTfjs(b.finish(), { layout: "flags", fold: true });
    expect(p.consts.map((k) => `${k.shape}:${Array.from(k.data).map((v) => (Object.is(v, -0) ? "-0" : v))}`)).toEqual([":0.8999999761581421", "3:0.8999999761581421,0.8999999761581421,0.8999999761581421", ":0", ":-0"]);
  });
});
