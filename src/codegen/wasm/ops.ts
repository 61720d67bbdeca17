/** @file Every op's Wasm lowering, in one table typed over OpName (an op without an entry does not compile).
 *
 * The table lives here and not in each OpDef because its entries are written against this
 * folder's encoder (`Func`, opcodes): `src/ir` must not depend on a backend's instruction set.
 * An entry is one of:
 * - `ew`: an elementwise form. Called with the operands already on the Wasm stack (scalars, or
 *   v128 lanes when `simd`), it returns the emitter that leaves the result, or undefined when it
 *   has no form for these dtypes or this mode (the kernel then takes the scalar path, or runs as
 *   the js backend's kernel over the same linear memory).
 * - `reduce`: a combiner. Float reductions accumulate in f64 and round once at the end, in the
 *   order of the reduced elements (row-major), exactly as the reference interpreter does.
 * - `kernel`: the op is a kernel of its own (matmul has Wasm microkernels; the rest are copies and
 *   index ops that run as the js backend's kernels on views of the linear memory).
 *
 * Numerics: f32 arithmetic is f32 per op (an f64 op rounded once to f32 is the same number for
 * + - * / sqrt), so those results equal the interpreter bit for bit. f32 exp, expm1, log, log1p,
 * tanh and sigmoid are vmath.ts's SIMD routines (at most 1 ulp from the correctly rounded value;
 * the interpreter's Math-based value is itself within 1 ulp of it); sin, cos, pow and every f64
 * transcendental call the host's Math functions, exactly as the interpreter.
 */
import type { DType, OpName, AttrsOf } from "../../ir/index.js";
import { Op, Simd, T, type Func, type ValType } from "./encode.js";
import { scalarF32, vecF32, type VecFn } from "./vmath.js";

/** Host functions a kernel may import (f64 -> f64, or f64 x f64 -> f64 for pow). */
export const HOST_MATH = {
  exp: Math.exp, log: Math.log, tanh: Math.tanh, sin: Math.sin, cos: Math.cos, log1p: Math.log1p, expm1: Math.expm1, pow: Math.pow,
  // the interpreter's sigmoid (src/ir/ops/elementwise.ts): stable on both sides
  sigmoid: (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
} as const;
export type HostFn = keyof typeof HOST_MATH;

export interface WasmCtx {
  readonly f: Func;
  readonly ins: readonly DType[];
  readonly out: DType;
  readonly simd: boolean;
  /** Function index of a host math import. */
  readonly host: (name: HostFn) => number;
  /** A scratch local of type `t` (one per type and slot; operands are parked there to reorder them). */
  readonly tmp: (t: ValType, slot: number) => number;
}

type Emit = (() => void) | undefined;
export type WasmLowering<A> =
  | { readonly ew: (c: WasmCtx, attrs: A) => Emit }
  | { readonly reduce: { readonly init: number; readonly combine: "add" | "mul" | "max" | "min"; readonly mean?: boolean; readonly ints: boolean } }
  | { readonly kernel: "matmul" | "host" | "alias" | "source" | "region" };

/** The Wasm value type a dtype computes in (bool is an i32 0/1; a v128 lane mask in SIMD). */
export const scalarType = (d: DType): ValType => (d === "f32" ? T.f32 : d === "f64" ? T.f64 : T.i32);
const isF = (d: DType): boolean => d === "f32" || d === "f64";

/** One opcode per float dtype, for scalar and SIMD. */
interface FloatOps {
  readonly f32: number;
  readonly f64: number;
  readonly v32?: number;
  readonly v64?: number;
}
const fop = (f32: number, f64: number, v32?: number, v64?: number): FloatOps => ({ f32, f64, v32, v64 });

/** A float op with its opcode; i32 (and bool) with `int`, when given. */
function arith(o: FloatOps, int?: (c: WasmCtx) => void): (c: WasmCtx) => Emit {
  return (c) => {
    const d = c.ins[0]!;
    if (c.simd) {
      const v = d === "f32" ? o.v32 : d === "f64" ? o.v64 : undefined;
      return v === undefined ? undefined : () => void c.f.simd(v);
    }
    if (isF(d)) return () => void c.f.op(d === "f32" ? o.f32 : o.f64);
    return int ? () => int(c) : undefined;
  };
}

/** A unary function of the host (scalar only): f32 is widened, computed in f64, rounded once. */
const hostUnary = (name: HostFn) => (c: WasmCtx): Emit => {
  if (c.simd || !isF(c.ins[0]!)) return undefined;
  return () => {
    if (c.ins[0] === "f32") c.f.op(Op.f64_promote_f32);
    c.f.call(c.host(name));
    if (c.ins[0] === "f32") c.f.op(Op.f32_demote_f64);
  };
};

/**
 * A transcendental: f32 (SIMD and scalar alike) through vmath.ts (f64 lanes, rounded once: at most
 * 1 ulp from the correctly rounded value); f64 through the host's Math function (the interpreter's).
 */
const vmath = (name: VecFn & HostFn) => (c: WasmCtx): Emit => {
  const d = c.ins[0]!;
  if (d === "f32") return () => (c.simd ? vecF32 : scalarF32)(c.f, (slot) => c.tmp(T.v128, slot), name);
  return hostUnary(name)(c);
};

/** Parks the top `n` operands (last on top) in scratch locals, so an emitter can reuse or reorder them. */
function park(c: WasmCtx, types: readonly ValType[]): number[] {
  const ls = types.map((t, i) => c.tmp(t, i));
  for (let i = ls.length - 1; i >= 0; i--) c.f.set(ls[i]!);
  return ls;
}
const vt = (c: WasmCtx, d: DType): ValType => (c.simd ? T.v128 : scalarType(d));

/** Comparisons: floats compare as floats (NaN unordered), ints and bools as i32. */
function compare(f32: number, f64: number, i32: number, v32: number, v64: number) {
  return (c: WasmCtx): Emit => {
    const d = c.ins[0]!;
    if (c.simd) return isF(d) ? () => void c.f.simd(d === "f32" ? v32 : v64) : undefined;
    return () => void c.f.op(d === "f32" ? f32 : d === "f64" ? f64 : i32);
  };
}

/** maximum/minimum as the interpreter: `a >= b || a is NaN ? a : b` (ties keep a: -0 vs +0 too). */
function extremum(ge: FloatOps, ige: number) {
  return (c: WasmCtx): Emit => {
    const d = c.ins[0]!;
    if (c.simd && !isF(d)) return undefined;
    return () => {
      const [a, b] = park(c, [vt(c, d), vt(c, d)]);
      const f = c.f;
      f.get(a!).get(b!);
      if (c.simd) {
        f.get(a!).get(b!).simd(d === "f32" ? ge.v32! : ge.v64!);
        f.get(a!).get(a!).simd(d === "f32" ? Simd.f32x4_ne : Simd.f64x2_ne).simd(Simd.or).simd(Simd.bitselect);
      } else if (isF(d)) {
        f.get(a!).get(b!).op(d === "f32" ? ge.f32 : ge.f64).get(a!).get(a!).op(d === "f32" ? Op.f32_ne : Op.f64_ne).op(Op.i32_or, Op.select);
      } else f.get(a!).get(b!).op(ige, Op.select);
    };
  };
}

const scalarConst = (c: WasmCtx, d: DType, v: number): void => {
  if (d === "f32") c.f.f32(v);
  else if (d === "f64") c.f.f64(v);
  else c.f.i32(v);
};
/** A constant of the op's compute type (splatted in SIMD). */
export function pushConst(f: Func, d: DType, v: number, simd: boolean): void {
  if (d === "f32") f.f32(v);
  else if (d === "f64") f.f64(v);
  else f.i32(v);
  if (simd) f.simd(d === "f32" ? Simd.f32x4_splat : Simd.f64x2_splat);
}



export const WASM_OPS: { readonly [K in OpName]: WasmLowering<AttrsOf<K>> } = {
  neg: { ew: arith(fop(Op.f32_neg, Op.f64_neg, Simd.f32x4_neg, Simd.f64x2_neg), (c) => c.f.i32(-1).op(Op.i32_mul)) },
  exp: { ew: vmath("exp") },
  log: { ew: vmath("log") },
  sqrt: { ew: arith(fop(Op.f32_sqrt, Op.f64_sqrt, Simd.f32x4_sqrt, Simd.f64x2_sqrt)) },
  // 1 / sqrt(x) in f64, rounded once (f32 sqrt then f32 divide would round twice)
  rsqrt: {
    ew: (c) => {
      const d = c.ins[0]!;
      if (c.simd || !isF(d)) return undefined;
      return () => {
        const [x] = park(c, [scalarType(d)]);
        c.f.f64(1).get(x!);
        if (d === "f32") c.f.op(Op.f64_promote_f32);
        c.f.op(Op.f64_sqrt, Op.f64_div);
        if (d === "f32") c.f.op(Op.f32_demote_f64);
      };
    },
  },
  square: {
    ew: (c) => {
      const d = c.ins[0]!;
      if (c.simd && !isF(d)) return undefined;
      return () => {
        const [x] = park(c, [vt(c, d)]);
        c.f.get(x!).get(x!);
        if (c.simd) c.f.simd(d === "f32" ? Simd.f32x4_mul : Simd.f64x2_mul);
        else c.f.op(d === "f32" ? Op.f32_mul : d === "f64" ? Op.f64_mul : Op.i32_mul);
      };
    },
  },
  abs: {
    ew: arith(fop(Op.f32_abs, Op.f64_abs, Simd.f32x4_abs, Simd.f64x2_abs), (c) => {
      // |x| = (x ^ s) - s with s = x >> 31 (wraps at INT_MIN, as the Int32Array store does)
      const [x] = park(c, [T.i32]);
      c.f.get(x!).get(x!).i32(31).op(Op.i32_shr_s, Op.i32_xor).get(x!).i32(31).op(Op.i32_shr_s, Op.i32_sub);
    }),
  },
  // sign: x > 0 ? 1 : x < 0 ? -1 : x (keeps -0, +0 and NaN, as Math.sign)
  sign: {
    ew: (c) => {
      const d = c.ins[0]!;
      if (c.simd) return undefined;
      return () => {
        const [x] = park(c, [scalarType(d)]);
        const f = c.f;
        scalarConst(c, d, 1);
        scalarConst(c, d, -1);
        f.get(x!);
        f.get(x!);
        scalarConst(c, d, 0);
        f.op(d === "f32" ? Op.f32_lt : d === "f64" ? Op.f64_lt : Op.i32_lt_s, Op.select);
        f.get(x!);
        scalarConst(c, d, 0);
        f.op(d === "f32" ? Op.f32_gt : d === "f64" ? Op.f64_gt : Op.i32_gt_s, Op.select);
      };
    },
  },
  tanh: { ew: vmath("tanh") },
  sigmoid: { ew: vmath("sigmoid") },
  // relu: max(x, +0) (Wasm's max orders -0 below +0 and keeps NaN, as the interpreter's rule)
  relu: {
    ew: (c) => {
      const d = c.ins[0]!;
      if (c.simd && !isF(d)) return undefined;
      return () => {
        if (c.simd) {
          pushConst(c.f, d, 0, true);
          c.f.simd(d === "f32" ? Simd.f32x4_max : Simd.f64x2_max);
        } else if (isF(d)) {
          scalarConst(c, d, 0);
          c.f.op(d === "f32" ? Op.f32_max : Op.f64_max);
        } else {
          const [x] = park(c, [T.i32]);
          c.f.get(x!).i32(0).get(x!).i32(0).op(Op.i32_gt_s, Op.select);
        }
      };
    },
  },
  sin: { ew: hostUnary("sin") },
  cos: { ew: hostUnary("cos") },
  log1p: { ew: vmath("log1p") },
  expm1: { ew: vmath("expm1") },
  floor: { ew: arith(fop(Op.f32_floor, Op.f64_floor, Simd.f32x4_floor, Simd.f64x2_floor)) },
  logical_not: { ew: (c) => (c.simd ? () => void c.f.simd(Simd.not) : () => void c.f.op(Op.i32_eqz)) },
  add: { ew: arith(fop(Op.f32_add, Op.f64_add, Simd.f32x4_add, Simd.f64x2_add), (c) => c.f.op(Op.i32_add)) },
  sub: { ew: arith(fop(Op.f32_sub, Op.f64_sub, Simd.f32x4_sub, Simd.f64x2_sub), (c) => c.f.op(Op.i32_sub)) },
  // i32 products wrap (the interpreter's double product agrees while |a b| < 2^53)
  mul: { ew: arith(fop(Op.f32_mul, Op.f64_mul, Simd.f32x4_mul, Simd.f64x2_mul), (c) => c.f.op(Op.i32_mul)) },
  // integer division floors and divides by zero without trapping in the interpreter: the js kernel does it
  div: { ew: arith(fop(Op.f32_div, Op.f64_div, Simd.f32x4_div, Simd.f64x2_div)) },
  pow: {
    ew: (c) => {
      const d = c.ins[0]!;
      if (c.simd || !isF(d)) return undefined;
      return () => {
        if (d === "f32") {
          const [a, b] = park(c, [T.f32, T.f32]);
          c.f.get(a!).op(Op.f64_promote_f32).get(b!).op(Op.f64_promote_f32).call(c.host("pow")).op(Op.f32_demote_f64);
        } else c.f.call(c.host("pow"));
      };
    },
  },
  maximum: { ew: extremum(fop(Op.f32_ge, Op.f64_ge, Simd.f32x4_ge, Simd.f64x2_ge), Op.i32_ge_s) },
  minimum: { ew: extremum(fop(Op.f32_le, Op.f64_le, Simd.f32x4_le, Simd.f64x2_le), Op.i32_le_s) },
  equal: { ew: compare(Op.f32_eq, Op.f64_eq, Op.i32_eq, Simd.f32x4_eq, Simd.f64x2_eq) },
  not_equal: { ew: compare(Op.f32_ne, Op.f64_ne, Op.i32_ne, Simd.f32x4_ne, Simd.f64x2_ne) },
  less: { ew: compare(Op.f32_lt, Op.f64_lt, Op.i32_lt_s, Simd.f32x4_lt, Simd.f64x2_lt) },
  less_equal: { ew: compare(Op.f32_le, Op.f64_le, Op.i32_le_s, Simd.f32x4_le, Simd.f64x2_le) },
  greater: { ew: compare(Op.f32_gt, Op.f64_gt, Op.i32_gt_s, Simd.f32x4_gt, Simd.f64x2_gt) },
  greater_equal: { ew: compare(Op.f32_ge, Op.f64_ge, Op.i32_ge_s, Simd.f32x4_ge, Simd.f64x2_ge) },
  logical_and: { ew: (c) => (c.simd ? () => void c.f.simd(Simd.and) : () => void c.f.op(Op.i32_and)) },
  logical_or: { ew: (c) => (c.simd ? () => void c.f.simd(Simd.or) : () => void c.f.op(Op.i32_or)) },
  // where(c, a, b): Wasm's select takes (a, b, c); SIMD's bitselect the same order with a lane mask
  where: {
    ew: (c) => {
      const d = c.out;
      if (c.simd && !isF(d)) return undefined;
      return () => {
        const [p, a, b] = park(c, [c.simd ? T.v128 : T.i32, vt(c, d), vt(c, d)]);
        c.f.get(a!).get(b!).get(p!);
        if (c.simd) c.f.simd(Simd.bitselect);
        else c.f.op(Op.select);
      };
    },
  },
  cast: {
    ew: (c) => {
      const from = c.ins[0]!;
      const to = c.out;
      if (c.simd) return from === to ? () => {} : undefined;
      if (from === to || (from === "bool" && to === "i32")) return () => {};
      if (to === "bool") return () => void (isF(from) ? (scalarConst(c, from, 0), c.f.op(from === "f32" ? Op.f32_ne : Op.f64_ne)) : c.f.i32(0).op(Op.i32_ne));
      if (from === "f32" && to === "f64") return () => void c.f.op(Op.f64_promote_f32);
      if (from === "f64" && to === "f32") return () => void c.f.op(Op.f32_demote_f64);
      if (!isF(from) && to === "f32") return () => void c.f.op(Op.f32_convert_i32_s);
      if (!isF(from) && to === "f64") return () => void c.f.op(Op.f64_convert_i32_s);
      // float -> i32 truncates and wraps modulo 2^32 (Inf, NaN -> 0) in the interpreter: the js kernel does it
      return undefined;
    },
  },
  sum: { reduce: { init: 0, combine: "add", ints: true } },
  mean: { reduce: { init: 0, combine: "add", mean: true, ints: false } },
  max: { reduce: { init: -Infinity, combine: "max", ints: true } },
  min: { reduce: { init: Infinity, combine: "min", ints: true } },
  // an i32 product in doubles loses bits before it wraps: the js kernel matches the interpreter there
  prod: { reduce: { init: 1, combine: "mul", ints: false } },
  argmax: { kernel: "host" },
  reshape: { kernel: "alias" },
  transpose: { kernel: "host" },
  broadcast_to: { kernel: "host" },
  slice: { kernel: "host" },
  pad: { kernel: "host" },
  concat: { kernel: "host" },
  matmul: { kernel: "matmul" },
  gather: { kernel: "host" },
  scatter_add: { kernel: "host" },
  const: { kernel: "source" },
  iota: { kernel: "source" },
  random_uniform: { kernel: "host" },
  random_normal: { kernel: "host" },
  stop_gradient: { ew: () => () => {} },
  fusion: { kernel: "region" },
  grad: { kernel: "region" },
  custom_grad: { kernel: "region" },
};

