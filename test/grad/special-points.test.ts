/** @file Special-point sweep (issue 14 item 13): every op of the registry, gradients at 0, +-1, kinks, ties, domain
 * boundaries and the f32 overflow range, eagerly and on interp, js and tfjs, against tf.grads or a documented convention. */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import {
  abs, add, apply, broadcastTo, cast, concat, cos, customGradient, div, exp, expm1, fn, gather, gradients, log, log1p, matmul, max, maximum, mean, min,
  minimum, mul, neg, pad, pow, prod, relu, reshape, rsqrt, sigmoid, sign, sin, slice, sqrt, square, stopGradient, sub, sum, tanh, tensor, transpose, where, floor,
  type Tensor,
} from "../../src/index.js";
import type { OpName } from "../../src/ir/index.js";
import { OP_NAMES, opDef } from "../../src/ir/index.js";

tf.setBackend("cpu");
type In = { data: number[]; shape?: number[]; dtype?: "i32" | "bool" };
interface Sweep {
  readonly ins: In[];
  readonly f: (...x: Tensor[]) => Tensor;
  /** The same function in tfjs; absent where tfjs lacks the op (then `want` gives the convention). */
  readonly tf?: (...x: tf.Tensor[]) => tf.Tensor;
  /** Expected gradients per float input where there is no tfjs op, from the documented convention. */
  readonly want?: number[][];
  /** Where graft follows TF/JAX and tfjs does not: [input, element, graft's value, why]. */
  readonly differs?: [number, number, number, string][];
}

// 0, -0, +-1, small, kinks' neighbours, and the f32 overflow range (exp overflows past 88.72)
const U = [0, -0, 1, -1, 0.5, -2, 3, 1e-20, -1e-20, 88, 89, 100, -88, -89, -100];
const POS = [0, 1e-30, 1e-20, 0.5, 1, 2, 1e20, 1e30, 3e38, -1, -0];
const u = (data = U): In => ({ data });
// pairs: ties, zeros, signs, overflow
const A = [0, 0, 1, 1, -1, 2, 0, -2, 3, 1e20, 88, -0, 0.5];
const B = [0, 1, 1, 0, -1, 2, -0, 0.5, -3, 1e20, 2, 0, 0.5];
const bin = (f: (a: Tensor, b: Tensor) => Tensor, g: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, differs?: Sweep["differs"]): Sweep => ({ ins: [{ data: A }, { data: B }], f, tf: g, ...(differs ? { differs } : {}) });
const un = (f: (x: Tensor) => Tensor, g: (x: tf.Tensor) => tf.Tensor, data = U, differs?: Sweep["differs"]): Sweep => ({ ins: [u(data)], f, tf: g, ...(differs ? { differs } : {}) });
const TIES = "tied extremes share dy (TF's reduce_max/min gradient); tfjs gives each tie the whole dy";
const M = { data: [0, 1, -1, 2, 2, 0.5, 0, -3, 1, 1, 4, 0], shape: [3, 4] };
const ZEROS_ONE = { data: [0, 2, 3, 0, 0, 5, 1, 2, -1, 0, 4, 2], shape: [3, 4] };

/** Every op: a sweep, or why it has none. A new op without an entry does not compile. */
const SWEEP: { readonly [K in OpName]: Sweep | { readonly skip: string } } = {
  neg: un(neg, tf.neg), exp: un(exp, tf.exp), log: un(log, tf.log, POS), sqrt: un(sqrt, tf.sqrt, POS), rsqrt: un(rsqrt, tf.rsqrt, POS),
  square: un(square, tf.square), tanh: un(tanh, tf.tanh), sigmoid: un(sigmoid, tf.sigmoid), sin: un(sin, tf.sin), cos: un(cos, tf.cos),
  log1p: un(log1p, tf.log1p, [-1, -0.5, 0, 1, 1e20, 3e38, -2]), expm1: un(expm1, tf.expm1),
  // d|x| at 0 is sign(0) = 0 (TF's AbsGrad, JAX); tfjs uses step(x, -1), which gives -1 there
  abs: un(abs, tf.abs, U, [[0, 0, 0, "abs'(0) = sign(0) = 0 as TF and JAX; tfjs's step(x, -1) gives -1"], [0, 1, 0, "abs'(-0) = 0 as TF and JAX; tfjs gives -1"]]),
  relu: un(relu, tf.relu),
  sign: un(sign, tf.sign), floor: un(floor, tf.floor),
  logical_not: { skip: "bool in, bool out: no float input" },
  add: bin(add, tf.add), sub: bin(sub, tf.sub), mul: bin(mul, tf.mul), div: bin(div, tf.div),
  // the log term of d/db is 0 where a <= 0, as TF and tfjs
  pow: { ins: [{ data: [0, 0, 0, 2, -1, -2, 1e10, 0.5, 4, -0] }, { data: [2, 0.5, 0, 0, 2, 3, 4, -1, 0.5, 1] }], f: pow, tf: tf.pow },
  // ties send the gradient to the first operand, as TF and tfjs
  maximum: bin(maximum, tf.maximum), minimum: bin(minimum, tf.minimum),
  equal: { skip: "comparison: bool output" }, not_equal: { skip: "comparison: bool output" }, less: { skip: "comparison: bool output" },
  less_equal: { skip: "comparison: bool output" }, greater: { skip: "comparison: bool output" }, greater_equal: { skip: "comparison: bool output" },
  logical_and: { skip: "bool inputs" }, logical_or: { skip: "bool inputs" },
  where: {
    ins: [{ data: [1, 0, 1, 0, 1, 0], dtype: "bool" }, { data: [1, 2, Infinity, 0, -0, 100] }, { data: [3, -Infinity, 5, 0, 7, -100] }],
    f: (c, a, b) => where(c, exp(a), exp(b)), tf: (c, a, b) => tf.where(c as tf.Tensor, tf.exp(a), tf.exp(b)),
  },
  cast: { ins: [u()], f: (x) => cast(cast(x, "f64"), "f32").mul(x), want: [U.map((x) => 2 * x)] },
  sum: { ins: [M], f: (x) => sum(x, 1).mul(sum(x, 0, true).sum()), tf: (x) => tf.mul(tf.sum(x, 1), tf.sum(tf.sum(x, 0, true))) },
  mean: { ins: [M], f: (x) => mean(x, 0).square(), tf: (x) => tf.square(tf.mean(x, 0)) },
  // ties share the gradient (TF's reduce_max/min: dy / count, so the total is dy); tfjs gives every tied element the whole dy
  max: {
    ins: [{ data: [0, 2, -1, 2, 5, 5, 5, 1, -Infinity, 3, 3, 0], shape: [3, 4] }], f: (x) => max(x, 1), tf: (x) => tf.max(x, 1),
    differs: [[0, 1, 1 / 2, TIES], [0, 3, 1 / 2, TIES], [0, 4, 1 / 3, TIES], [0, 5, 1 / 3, TIES], [0, 6, 1 / 3, TIES], [0, 9, 1 / 2, TIES], [0, 10, 1 / 2, TIES]],
  },
  min: {
    ins: [{ data: [0, 1, 3, 0, 2, 3, 1, 1, 3], shape: [3, 3] }], f: (x) => min(x, 0), tf: (x) => tf.min(x, 0),
    differs: [[0, 0, 1 / 2, TIES], [0, 3, 1 / 2, TIES], [0, 1, 1 / 2, TIES], [0, 7, 1 / 2, TIES], [0, 2, 1 / 3, TIES], [0, 5, 1 / 3, TIES], [0, 8, 1 / 3, TIES]],
  },
  prod: { ins: [ZEROS_ONE], f: (x) => prod(x, 1), tf: (x) => tf.prod(x, 1) },
  argmax: { skip: "integer output" },
  reshape: { ins: [M], f: (x) => reshape(x, [2, 6]).mul(tensor([1, 2, 3, 4, 5, 6])), tf: (x) => tf.mul(tf.reshape(x, [2, 6]), tf.tensor([1, 2, 3, 4, 5, 6])) },
  transpose: { ins: [M], f: (x) => transpose(x).mul(tensor([1, 2, 3])), tf: (x) => tf.mul(tf.transpose(x), tf.tensor([1, 2, 3])) },
  broadcast_to: { ins: [{ data: [1, -2, 0], shape: [3, 1] }], f: (x) => broadcastTo(x, [3, 4]).mul(tensor(M.data, [3, 4])), tf: (x) => tf.mul(tf.broadcastTo(x, [3, 4]), tf.tensor(M.data, [3, 4])) },
  slice: { ins: [M], f: (x) => slice(x, [1, 1], [2, 2]).mul(tensor([[1, 2], [3, 4]])), tf: (x) => tf.mul(tf.slice(x, [1, 1], [2, 2]), tf.tensor([[1, 2], [3, 4]])) },
  pad: { ins: [M], f: (x) => pad(x, [[1, 0], [0, 2]]).exp(), tf: (x) => tf.exp(tf.pad(x, [[1, 0], [0, 2]])) },
  concat: { ins: [M, { data: [1, 2, 3], shape: [3, 1] }], f: (a, b) => concat([a, b], 1).square(), tf: (a, b) => tf.square(tf.concat([a, b], 1)) },
  matmul: { ins: [M, { data: [0, 1, -1, 2, 0, 0, Infinity, 1], shape: [4, 2] }], f: (a, b) => matmul(a, b), tf: (a, b) => tf.matMul(a, b) },
  gather: { ins: [M, { data: [2, 0, 2], dtype: "i32" }], f: (x, i) => gather(x, i, 0).square(), tf: (x, i) => tf.square(tf.gather(x, i as tf.Tensor, 0)) },
  // scatter_add(v, idx) adds row j of v into row idx[j] (the gradient of gather): its gradient is gather(dy, idx)
  scatter_add: {
    ins: [{ data: [1, 2, 3, 4, 5, 6], shape: [3, 2] }, { data: [2, 0, 2], dtype: "i32" }],
    f: (v, i) => apply("scatter_add", [v, i], { axis: 0, size: 4 }).mul(tensor([[1, 2], [3, 4], [5, 6], [7, 8]])),
    want: [[5, 6, 1, 2, 5, 6]],
  },
  const: { skip: "no inputs" }, iota: { skip: "no inputs" }, random_uniform: { skip: "no inputs" }, random_normal: { skip: "no inputs" },
  stop_gradient: { ins: [u()], f: (x) => stopGradient(x).mul(x), want: [U.map((x) => x + 0)] },
  fusion: { skip: "fused regions exist only after autodiff (their vjp is an error by design)" },
  grad: { skip: "a marker expanded before any outer gradient sees it" },
  custom_grad: {
    ins: [u([0, 1, -1, 89, -100])],
    f: customGradient((x: Tensor) => ({ value: x.square(), gradFunc: (dy: Tensor) => dy.mul(x).mul(2) })) as (x: Tensor) => Tensor,
    tf: tf.customGrad(((x: tf.Tensor, save: (t: tf.Tensor[]) => void) => { save([x]); return { value: tf.square(x), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.mul(tf.mul(dy, s!), 2) }; }) as never) as (x: tf.Tensor) => tf.Tensor,
  },
};

const same = (a: number, b: number): boolean => (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= 1e-5 * (1 + Math.abs(b));
const rows = Object.entries(SWEEP).filter((e): e is [string, Sweep] => !("skip" in e[1]));
const mk = (x: In): Tensor => tensor(x.data, x.shape ?? [x.data.length], x.dtype ?? "f32");

describe("special-point sweep over the registry", () => {
  it("every op with a gradient rule has a sweep; every skip is an op without float inputs or without a rule", () => {
    for (const op of OP_NAMES) {
      const e = SWEEP[op];
      const rule = opDef(op).vjp;
      if ("skip" in e) expect(typeof rule === "function" && op !== "fusion" && op !== "custom_grad" ? `${op} has a VJP rule but no sweep` : "ok").toBe("ok");
    }
    expect(rows.length).toBeGreaterThanOrEqual(38);
  });

  it.each(rows)("%s", (op, s) => {
    const ins = s.ins.map(mk);
    const floatPos = ins.map((t, i) => (t.dtype === "f32" ? i : -1)).filter((i) => i >= 0);
    let want: number[][];
    if (s.tf) {
      const tfIns = s.ins.map((x) => tf.tensor(x.data, x.shape ?? [x.data.length], x.dtype === "i32" ? "int32" : x.dtype === "bool" ? "bool" : "float32"));
      const g = (...fs: tf.Tensor[]) => s.tf!(...tfIns.map((t, i) => (floatPos.includes(i) ? fs[floatPos.indexOf(i)]! : t)));
      want = tf.grads(g)(floatPos.map((i) => tfIns[i]!)).map((t) => Array.from(t.dataSync()));
      for (const [k, e, v] of s.differs ?? []) want[k]![e] = v;
    } else want = s.want!;
    const grads: [string, Tensor[]][] = [];
    const g = (...xs: Tensor[]): Tensor[] => gradients(s.f(...xs).sum(), floatPos.map((i) => xs[i]!));
    grads.push(["eager", g(...ins)]);
    for (const backend of ["interp", "js", "tfjs"]) grads.push([backend, fn(g, { backend })(...ins) as Tensor[]]);
    for (const [mode, gs] of grads) {
      gs.forEach((t, k) => Array.from(t.dataSync()).forEach((v, e) => {
        expect(same(v, want[k]![e]!), `${op} (${mode}): input ${floatPos[k]} element ${e} at ${s.ins[floatPos[k]!]!.data[e]}: graft ${v}, want ${want[k]![e]}`).toBe(true);
      }));
    }
  });
});
