/** @file One table over the whole op registry: the interpreter (f32 and f64 modes) against TensorFlow.js on random inputs. */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Builder, interpret, nd, OP_NAMES, OPS, UsageError, type NDArray, type OpName } from "../../src/ir/index.js";
import { expectClose, expectRoundTrip, Gen, oneOp, runOp, tfDType } from "./helpers.js";

const toTf = (a: NDArray): tf.Tensor => tf.tensor(Array.from(a.data), [...a.shape], tfDType(a.dtype));

beforeAll(async () => {
  await tf.setBackend("cpu");
});

type T = tf.Tensor;
/** One checked call: inputs, attributes, and the TensorFlow.js expression that should agree. */
interface Case {
  readonly ins: NDArray[];
  readonly attrs?: Record<string, unknown>;
  readonly tf: (xs: T[]) => T;
  readonly rtol?: number;
}
/** An op either has tfjs cases, or says why not and is checked another way (in the tests below). */
type Entry = { readonly cases: (g: Gen) => Case[] } | { readonly noTfjs: string };

/** Broadcasts explicitly, so the oracle does not depend on tfjs's own broadcasting support per op. */
const bc = (x: T, shape: number[]): T => (x.shape.join() === shape.join() ? x : tf.broadcastTo(x, shape));
const outShape = (...xs: T[]): number[] => {
  const r = Math.max(...xs.map((x) => x.rank));
  return Array.from({ length: r }, (_, i) => Math.max(...xs.map((x) => x.shape[x.rank - r + i] ?? 1)));
};

const F = [3, 4];
/** Unary float op on a given domain. */
const unaryF = (f: (x: T) => T, lo = -3, hi = 3): Entry => ({
  cases: (g) => [
    { ins: [g.f(F, lo, hi)], tf: ([x]) => f(x!) },
    { ins: [g.f([], lo, hi)], tf: ([x]) => f(x!) },
    { ins: [g.f([2, 1, 3], lo, hi)], tf: ([x]) => f(x!) },
  ],
});
/** Unary numeric op: floats and i32. */
const unaryN = (f: (x: T) => T): Entry => ({
  cases: (g) => [
    { ins: [g.f(F)], tf: ([x]) => f(x!) },
    { ins: [g.fi([7])], tf: ([x]) => f(x!) },
    { ins: [g.i([2, 5])], tf: ([x]) => f(x!) },
  ],
});
/** Binary op over the broadcasting shapes that matter: equal, size-1 axes with rank mismatch, scalars. */
const binary = (f: (a: T, b: T) => T, gen: "f" | "fi" | "pos" = "f", ints = true): { cases: (g: Gen) => Case[] } => ({
  cases: (g) => {
    const mk = (s: number[]) => (gen === "pos" ? g.f(s, 0.25, 3) : gen === "fi" ? g.fi(s) : g.f(s));
    const ff = (a: T, b: T) => f(bc(a, outShape(a, b)), bc(b, outShape(a, b)));
    const out: Case[] = [
      { ins: [mk(F), mk(F)], tf: ([a, b]) => ff(a!, b!) },
      { ins: [mk([2, 3, 4]), mk([3, 1])], tf: ([a, b]) => ff(a!, b!) },
      { ins: [mk([1, 4]), mk([3, 1])], tf: ([a, b]) => ff(a!, b!) },
      { ins: [mk([]), mk([2, 3])], tf: ([a, b]) => ff(a!, b!) },
      { ins: [mk([2, 3]), mk([])], tf: ([a, b]) => ff(a!, b!) },
      { ins: [mk([]), mk([])], tf: ([a, b]) => ff(a!, b!) },
    ];
    if (ints) {
      const lo = gen === "pos" ? 1 : -4;
      out.push({ ins: [g.i([2, 3], lo, 4), g.i([3], lo, 4)], tf: ([a, b]) => ff(a!, b!) });
    }
    return out;
  },
});
const reduceCases = (f: (x: T, axes: number[], keep: boolean) => T, ints: boolean, lo = -2, hi = 2): Entry => ({
  cases: (g) => {
    const out: Case[] = [];
    for (const axes of [[1], [0, 2], [0, 1, 2], [2]]) {
      for (const keepDims of [false, true]) {
        out.push({ ins: [g.f([2, 3, 4], lo, hi)], attrs: { axes, keepDims }, tf: ([x]) => f(x!, axes, keepDims) });
      }
    }
    out.push({ ins: [g.f([5], lo, hi)], attrs: { axes: [0], keepDims: false }, tf: ([x]) => f(x!, [0], false) });
    // all-negative and all-positive integers: a reduction's identity must not leak into the result
    if (ints) {
      out.push({ ins: [g.i([3, 4], -9, -1)], attrs: { axes: [1], keepDims: false }, tf: ([x]) => f(x!, [1], false) });
      out.push({ ins: [g.i([3, 4], 1, 3)], attrs: { axes: [0, 1], keepDims: true }, tf: ([x]) => f(x!, [0, 1], true) });
    }
    return out;
  },
});

const TABLE: Record<string, Entry> = {
  neg: unaryN(tf.neg),
  exp: unaryF(tf.exp),
  log: unaryF(tf.log, 0.05, 5),
  sqrt: unaryF(tf.sqrt, 0, 5),
  rsqrt: unaryF(tf.rsqrt, 0.05, 5),
  square: unaryN(tf.square),
  abs: unaryN(tf.abs),
  sign: unaryN(tf.sign),
  tanh: unaryF(tf.tanh),
  // large |x| checks the stable branch of sigmoid
  sigmoid: unaryF(tf.sigmoid, -40, 40),
  relu: unaryN(tf.relu),
  sin: unaryF(tf.sin),
  cos: unaryF(tf.cos),
  log1p: unaryF(tf.log1p, -0.9, 4),
  expm1: unaryF(tf.expm1),
  floor: unaryF(tf.floor),
  logical_not: { cases: (g) => [{ ins: [g.b([2, 3])], tf: ([x]) => tf.logicalNot(x!) }] },

  add: binary(tf.add),
  sub: binary(tf.sub),
  mul: binary(tf.mul),
  // i32 division floors, as tf.div does for int32
  div: { cases: (g) => [
    ...(binary(tf.div, "pos", false) as { cases: (g: Gen) => Case[] }).cases(g),
    { ins: [g.i([2, 4], -9, 9), nd("i32", [4], [2, -3, 4, -1])], tf: ([a, b]) => tf.div(a!, bc(b!, [2, 4])) },
  ] },
  pow: { cases: (g) => [
    ...(binary(tf.pow, "pos", false) as { cases: (g: Gen) => Case[] }).cases(g),
    // negative bases with integer exponents are defined
    { ins: [g.f([4], -3, 3), nd("f32", [4], [2, 3, 0, 1])], tf: ([a, b]) => tf.pow(a!, b!) },
    { ins: [g.i([2, 3], -3, 3), g.i([3], 0, 3)], tf: ([a, b]) => tf.pow(a!, bc(b!, [2, 3])) },
  ] },
  maximum: binary(tf.maximum, "fi"),
  minimum: binary(tf.minimum, "fi"),
  equal: { cases: (g) => [...binary(tf.equal, "fi").cases(g), { ins: [g.b([2, 3]), g.b([3])], tf: ([a, b]) => tf.equal(a!, bc(b!, [2, 3])) }] },
  not_equal: { cases: (g) => [...binary(tf.notEqual, "fi").cases(g), { ins: [g.b([4]), g.b([4])], tf: ([a, b]) => tf.notEqual(a!, b!) }] },
  less: binary(tf.less, "fi"),
  less_equal: binary(tf.lessEqual, "fi"),
  greater: binary(tf.greater, "fi"),
  greater_equal: binary(tf.greaterEqual, "fi"),
  logical_and: { cases: (g) => [
    { ins: [g.b([2, 3]), g.b([2, 3])], tf: ([a, b]) => tf.logicalAnd(a!, b!) },
    { ins: [g.b([2, 3]), g.b([3])], tf: ([a, b]) => tf.logicalAnd(a!, bc(b!, [2, 3])) },
  ] },
  logical_or: { cases: (g) => [
    { ins: [g.b([2, 3]), g.b([2, 3])], tf: ([a, b]) => tf.logicalOr(a!, b!) },
    { ins: [g.b([1]), g.b([4, 1])], tf: ([a, b]) => tf.logicalOr(bc(a!, [4, 1]), b!) },
  ] },
  where: { cases: (g) => [
    { ins: [g.b([3, 4]), g.f([3, 4]), g.f([3, 4])], tf: ([c, a, b]) => tf.where(c!, a!, b!) },
    { ins: [g.b([2, 1, 4]), g.f([3, 4]), g.f([])], tf: ([c, a, b]) => { const s = outShape(c!, a!, b!); return tf.where(bc(c!, s), bc(a!, s), bc(b!, s)); } },
    { ins: [g.b([]), g.i([5]), g.i([5])], tf: ([c, a, b]) => tf.where(bc(c!, [5]), a!, b!) },
    { ins: [g.b([2, 3]), g.b([2, 3]), g.b([3])], tf: ([c, a, b]) => tf.where(c!, a!, bc(b!, [2, 3])) },
  ] },
  cast: { cases: (g) => [
    { ins: [nd("f32", [6], [-1.7, -0.5, 0, 0.5, 1.7, 3])], attrs: { dtype: "i32" }, tf: ([x]) => tf.cast(x!, "int32") },
    { ins: [nd("f32", [4], [-1.7, 0, 0.25, 2])], attrs: { dtype: "bool" }, tf: ([x]) => tf.cast(x!, "bool") },
    { ins: [g.i([5])], attrs: { dtype: "f32" }, tf: ([x]) => tf.cast(x!, "float32") },
    { ins: [g.i([5])], attrs: { dtype: "bool" }, tf: ([x]) => tf.cast(x!, "bool") },
    { ins: [g.b([5])], attrs: { dtype: "f32" }, tf: ([x]) => tf.cast(x!, "float32") },
    { ins: [g.b([5])], attrs: { dtype: "i32" }, tf: ([x]) => tf.cast(x!, "int32") },
    // tfjs has no float64: the values must still agree
    { ins: [g.f([5])], attrs: { dtype: "f64" }, tf: ([x]) => tf.clone(x!) },
  ] },

  sum: reduceCases((x, a, k) => tf.sum(x, a, k), true),
  mean: reduceCases((x, a, k) => tf.mean(x, a, k), false),
  max: reduceCases((x, a, k) => tf.max(x, a, k), true),
  min: reduceCases((x, a, k) => tf.min(x, a, k), true),
  prod: reduceCases((x, a, k) => tf.prod(x, a, k), true, 0.5, 1.5),
  argmax: { cases: (g) => [
    ...[0, 1, 2].map((axis) => ({ ins: [g.f([2, 3, 4])], attrs: { axis }, tf: ([x]: T[]) => tf.argMax(x!, axis) })),
    // ties: the first index wins, as tf.argMax
    { ins: [g.fi([4, 5], 0, 1)], attrs: { axis: 1 }, tf: ([x]) => tf.argMax(x!, 1) },
    { ins: [g.i([3, 4], -9, -1)], attrs: { axis: 0 }, tf: ([x]) => tf.argMax(x!, 0) },
  ] },

  reshape: { cases: (g) => [
    { ins: [g.f([2, 3, 4])], attrs: { shape: [4, 6] }, tf: ([x]) => tf.reshape(x!, [4, 6]) },
    { ins: [g.i([6])], attrs: { shape: [1, 2, 3] }, tf: ([x]) => tf.reshape(x!, [1, 2, 3]) },
    { ins: [g.f([1])], attrs: { shape: [] }, tf: ([x]) => tf.reshape(x!, []) },
  ] },
  transpose: { cases: (g) => [
    { ins: [g.f([2, 3, 4])], attrs: { perm: [2, 0, 1] }, tf: ([x]) => tf.transpose(x!, [2, 0, 1]) },
    { ins: [g.f([3, 5])], attrs: { perm: [1, 0] }, tf: ([x]) => tf.transpose(x!, [1, 0]) },
    { ins: [g.b([2, 1, 3])], attrs: { perm: [1, 2, 0] }, tf: ([x]) => tf.transpose(x!, [1, 2, 0]) },
  ] },
  broadcast_to: { cases: (g) => [
    { ins: [g.f([3, 1])], attrs: { shape: [2, 3, 4] }, tf: ([x]) => tf.broadcastTo(x!, [2, 3, 4]) },
    { ins: [g.i([])], attrs: { shape: [2, 2] }, tf: ([x]) => tf.broadcastTo(x!, [2, 2]) },
    { ins: [g.f([1, 4])], attrs: { shape: [3, 4] }, tf: ([x]) => tf.broadcastTo(x!, [3, 4]) },
  ] },
  slice: { cases: (g) => [
    { ins: [g.f([3, 4, 5])], attrs: { begin: [1, 0, 2], size: [2, 3, 3] }, tf: ([x]) => tf.slice(x!, [1, 0, 2], [2, 3, 3]) },
    { ins: [g.i([6])], attrs: { begin: [4], size: [2] }, tf: ([x]) => tf.slice(x!, [4], [2]) },
    { ins: [g.f([3, 4])], attrs: { begin: [1, 1], size: [0, 2] }, tf: ([x]) => tf.slice(x!, [1, 1], [0, 2]) },
  ] },
  pad: { cases: (g) => [
    { ins: [g.f([2, 3])], attrs: { before: [1, 0], after: [2, 3] }, tf: ([x]) => tf.pad(x!, [[1, 2], [0, 3]]) },
    { ins: [g.i([2, 1, 2])], attrs: { before: [0, 1, 1], after: [1, 0, 0] }, tf: ([x]) => tf.pad(x!, [[0, 1], [1, 0], [1, 0]]) },
  ] },
  concat: { cases: (g) => [
    { ins: [g.f([2, 1, 3]), g.f([2, 4, 3]), g.f([2, 2, 3])], attrs: { axis: 1 }, tf: (xs) => tf.concat(xs, 1) },
    { ins: [g.i([2, 2]), g.i([2, 3])], attrs: { axis: 1 }, tf: (xs) => tf.concat(xs, 1) },
    { ins: [g.f([1, 3]), g.f([2, 3])], attrs: { axis: 0 }, tf: (xs) => tf.concat(xs, 0) },
    { ins: [g.f([4])], attrs: { axis: 0 }, tf: (xs) => tf.concat(xs, 0) },
  ] },

  matmul: { cases: (g) => {
    const out: Case[] = [];
    // all four transpose flag combinations, plain and batched with broadcast batch dims
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const a2 = transposeA ? [4, 3] : [3, 4];
        const b2 = transposeB ? [5, 4] : [4, 5];
        out.push({ ins: [g.f(a2), g.f(b2)], attrs: { transposeA, transposeB }, tf: ([a, b]) => tf.matMul(a!, b!, transposeA, transposeB) });
        out.push({
          ins: [g.f([2, 1, ...a2]), g.f([3, ...b2])],
          attrs: { transposeA, transposeB },
          tf: ([a, b]) => tf.matMul(tf.broadcastTo(a!, [2, 3, ...a2]), tf.broadcastTo(b!, [2, 3, ...b2]), transposeA, transposeB),
        });
      }
    }
    // rank-2 against a batch, and a size-1 batch axis on both sides
    out.push({ ins: [g.f([3, 4]), g.f([2, 4, 2])], tf: ([a, b]) => tf.matMul(tf.broadcastTo(a!, [2, 3, 4]), b!) });
    out.push({ ins: [g.f([2, 2, 3]), g.f([4, 1, 3, 2])], tf: ([a, b]) => tf.matMul(tf.broadcastTo(a!, [4, 2, 2, 3]), tf.broadcastTo(b!, [4, 2, 3, 2])) });
    return out;
  } },
  gather: { cases: (g) => [
    { ins: [g.f([4, 3]), nd("i32", [2, 2], [3, 0, 0, 2])], attrs: { axis: 0 }, tf: ([x, i]) => tf.gather(x!, i!, 0) },
    { ins: [g.f([2, 5, 3]), nd("i32", [4], [4, 4, 1, 0])], attrs: { axis: 1 }, tf: ([x, i]) => tf.gather(x!, i!, 1) },
    { ins: [g.i([3, 2]), nd("i32", [], [2])], attrs: { axis: 0 }, tf: ([x, i]) => tf.gather(x!, i!, 0) },
  ] },
  const: { cases: () => [
    { ins: [], attrs: { dtype: "f32", shape: [2, 3], value: [1.5] }, tf: () => tf.fill([2, 3], 1.5) },
    { ins: [], attrs: { dtype: "i32", shape: [3], value: [4, -2, 7] }, tf: () => tf.tensor([4, -2, 7], [3], "int32") },
    { ins: [], attrs: { dtype: "bool", shape: [], value: [1] }, tf: () => tf.scalar(true, "bool") },
  ] },
  stop_gradient: { cases: (g) => [{ ins: [g.f(F)], tf: ([x]) => tf.clone(x!) }] },

  scatter_add: { noTfjs: "tfjs has no scatter-add along an axis: checked against a hand loop and as gather's adjoint" },
  iota: { noTfjs: "checked against a hand loop" },
  random_uniform: { noTfjs: "counter-based (Threefry) bits differ from tfjs's generator: checked for determinism, known-answer bits and moments (test/ir/random.test.ts)" },
  random_normal: { noTfjs: "as random_uniform (test/ir/random.test.ts)" },
  fusion: { noTfjs: "a region: its semantics are its body; checked against running the body's ops unfused" },
  grad: { noTfjs: "an autodiff marker that the grad pass expands; the interpreter must refuse to run it" },
  custom_grad: { noTfjs: "the identity on its value operand; its body is a gradient rule (autodiff tests)" },
};

const tfjsOps = OP_NAMES.filter((op) => TABLE[op] && "cases" in TABLE[op]!);

describe("op table", () => {
  it("covers every registered op (a new op needs an entry here)", () => {
    const missing = OP_NAMES.filter((op) => !TABLE[op]);
    expect(missing, "ops without a table entry").toEqual([]);
    const stale = Object.keys(TABLE).filter((k) => !(OP_NAMES as string[]).includes(k));
    expect(stale, "table entries for ops that no longer exist").toEqual([]);
  });

  it.each(tfjsOps)("%s matches TensorFlow.js (f32 and f64 interpreter modes)", (op) => {
    const entry = TABLE[op] as { cases: (g: Gen) => Case[] };
    const cases = entry.cases(new Gen(OP_NAMES.indexOf(op) + 1));
    expect(cases.length).toBeGreaterThan(0);
    cases.forEach((c, k) => {
      const what = `${op} case ${k} (${c.ins.map((a) => `${a.dtype}[${a.shape}]`).join(", ")})`;
      const g = oneOp(op as OpName, c.ins, c.attrs);
      expectRoundTrip(g);
      const got = interpret(g, c.ins).outputs[0]!;
      const want = tf.tidy(() => c.tf(c.ins.map(toTf)));
      // inference agrees with tfjs on shape and dtype
      expect(got.shape, `${what} shape`).toEqual(want.shape);
      expect(tfDType(got.dtype), `${what} dtype`).toBe(want.dtype);
      const wantData = want.dataSync();
      want.dispose();
      expectClose(got.data, wantData, c.rtol ?? 1e-5, 1e-6, what);
      // the float64 mode computes the same function (f32 storage widened, no f32 rounding)
      const wide = interpret(g, c.ins, [], { f64: true }).outputs[0]!;
      if (got.dtype === "f32") expect(wide.data, `${what} f64 mode storage`).toBeInstanceOf(Float64Array);
      expectClose(wide.data, wantData, 1e-4, 1e-5, `${what} (f64 mode)`);
    });
  });
});

describe("ops without a tfjs counterpart", () => {
  it("scatter_add matches a hand loop (repeated indices accumulate)", () => {
    const g = new Gen(7);
    const u = g.f([2, 4, 3]);
    const idx = nd("i32", [4], [1, 3, 1, 0]);
    const out = runOp("scatter_add", [u, idx], { axis: 1, size: 5 });
    expect(out.shape).toEqual([2, 5, 3]);
    const want = new Float64Array(2 * 5 * 3);
    for (let p = 0; p < 2; p++) for (let j = 0; j < 4; j++) for (let q = 0; q < 3; q++) want[(p * 5 + idx.data[j]!) * 3 + q]! += u.data[(p * 4 + j) * 3 + q]!;
    expectClose(out.data, want);
    expectRoundTrip(oneOp("scatter_add", [u, idx], { axis: 1, size: 5 }));
  });

  it("scatter_add is gather's adjoint: <gather(x, i), u> = <x, scatter_add(u, i)>", () => {
    const g = new Gen(8);
    const x = g.f([3, 6, 2], -2, 2, "f64");
    const u = g.f([3, 2, 4, 2], -2, 2, "f64");
    const idx = nd("i32", [2, 4], [5, 0, 5, 2, 1, 1, 3, 5]);
    const gx = runOp("gather", [x, idx], { axis: 1 });
    const su = runOp("scatter_add", [u, idx], { axis: 1, size: 6 });
    const dot = (a: NDArray, b: NDArray) => Array.from(a.data).reduce((s, v, i) => s + v * b.data[i]!, 0);
    expect(dot(gx, u)).toBeCloseTo(dot(x, su), 10);
  });

  it("iota matches a hand loop along every axis", () => {
    for (const axis of [0, 1, 2]) {
      const out = runOp("iota", [], { dtype: "i32", shape: [2, 3, 4], axis });
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
        expect(out.data[(i * 3 + j) * 4 + k]).toBe([i, j, k][axis]);
      }
    }
    expect(Array.from(runOp("iota", [], { dtype: "f32", shape: [4], axis: 0 }).data)).toEqual([0, 1, 2, 3]);
  });

  it("fusion runs its body: same numbers as the unfused ops", () => {
    const g = new Gen(9);
    const x = g.f([3, 4]);
    const y = g.f([4]);
    // body: relu(x * y + 1), and x * y as a second output
    const bb = new Builder("k");
    const bx = bb.input({ dtype: "f32", shape: [3, 4] });
    const by = bb.input({ dtype: "f32", shape: [4] });
    const m = bb.o.mul(bx, by);
    bb.output(bb.o.relu(bb.o.add(m, 1)), m);
    const body = bb.finish();
    const fused = oneOp("fusion", [x, y], { kind: "elementwise", name: "mul_add_relu" }, body);
    expect(fused.nodes[0]!.outputs.map((v) => v.shape)).toEqual([[3, 4], [3, 4]]);
    expectRoundTrip(fused);
    const got = interpret(fused, [x, y]).outputs;
    const want = interpret(body, [x, y]).outputs;
    const oracle = tf.tidy(() => tf.relu(tf.add(tf.mul(toTf(x), toTf(y)), 1)).dataSync());
    expectClose(got[0]!.data, oracle);
    expectClose(got[1]!.data, want[1]!.data);
  });

  it("grad markers refuse to run before the grad pass expands them", () => {
    const b = new Builder("g");
    const x = b.input({ dtype: "f32", shape: [2] });
    const y = b.emit("sum", [b.o.square(x)], { axes: [0] });
    if (!OP_NAMES.includes("grad" as OpName)) return;
    const [dx] = b.emitMulti("grad" as OpName, [y, x]);
    expect(dx!.type).toEqual(x.type);
    b.output(dx!);
    const g = b.finish();
    expectRoundTrip(g);
    expect(() => interpret(g, [nd("f32", [2], [1, 2])])).toThrow(UsageError);
  });

  it("custom_grad is the identity on its value operand", () => {
    if (!OP_NAMES.includes("custom_grad" as OpName)) return;
    // body: (x, value, dy) -> dx = dy * 3
    const bb = new Builder("rule");
    const [, , dy] = [bb.input({ dtype: "f32", shape: [3] }), bb.input({ dtype: "f32", shape: [3] }), bb.input({ dtype: "f32", shape: [3] })];
    bb.output(bb.o.mul(dy!, 3));
    const b = new Builder("cg");
    const x = b.input({ dtype: "f32", shape: [3] });
    const v = b.o.mul(x, 2);
    b.output(b.emit("custom_grad" as OpName, [x, v], { n: 1 } as never, undefined, bb.finish()));
    const g = b.finish();
    expectRoundTrip(g);
    expect(Array.from(interpret(g, [nd("f32", [3], [1, -2, 3])]).outputs[0]!.data)).toEqual([2, -4, 6]);
  });

  it("every op declares its rules (kind, arity, vjp, js and tfjs lowerings)", () => {
    for (const op of OP_NAMES) {
      const d = OPS[op];
      expect(typeof d.infer, op).toBe("function");
      expect(typeof d.interpret, op).toBe("function");
      expect(d.vjp, op).toBeTruthy();
      expect(d.js, op).toBeTruthy();
      expect(typeof d.tfjs, op).toBe("function");
    }
  });
});
