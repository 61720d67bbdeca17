/** @file f32 transcendentals for Wasm SIMD: exp, expm1, log, log1p, tanh, sigmoid on f32x4, evaluated in f64x2 lanes and rounded once.
 *
 * Each f32x4 is widened into two f64x2 halves, the function is evaluated with f64 arithmetic
 * (relative error about 1e-15, far below f32's 6e-8), and the result is narrowed once with
 * f32x4.demote_f64x2_zero. So the f32 result is the correctly rounded value except where the true
 * value lies within ~1e-15 of a rounding boundary: at most 1 ulp, and 0 ulp on nearly all inputs
 * (test/codegen-wasm/vmath.test.ts measures it against Math.* on 2^21 inputs plus edge cases).
 * Overflow, underflow into f32 denormals, ±0, ±Inf and NaN come out of the same narrowing: the
 * f64 value is in range, and demote rounds it as IEEE prescribes.
 * The scalar path uses the same code (splat, compute, take lane 0), so a value never depends on
 * whether it was computed in a SIMD loop or its scalar tail.
 *
 * exp / expm1: x = n ln2 + r with n = nearest(x / ln2), |r| <= ln2/2 (ln2 split in two for an
 * exact n ln2), q = expm1(r) by its Taylor series to r^12 (tail < 1e-16), then
 * exp x = 2^n + 2^n q and expm1 x = (2^n - 1) + 2^n q (2^n built from its exponent bits).
 * log: x = 2^e m with m in [sqrt(1/2), sqrt 2), log m = 2 atanh(f), f = (m-1)/(m+1), |f| <= 0.172,
 * odd series to f^21. log1p: log(1 + x) (exact sum in f64 for |x| >= 2^-28), x - x^2/2 below 2^-20.
 * tanh: t = expm1(2|x|) / (expm1(2|x|) + 2), sign copied from x (|x| clamped at 10, where f32 tanh is 1).
 * sigmoid: 1 / (1 + exp(-x)) with x clamped to [-104, 104] (beyond, f32 sigmoid is 0 or 1).
 */
import { Simd, type Func } from "./encode.js";

export type VecFn = "exp" | "expm1" | "log" | "log1p" | "tanh" | "sigmoid";

const S = {
  f64x2_promote_low: 0x5f, f32x4_demote_zero: 0x5e, shuffle: 0x0d, f64x2_nearest: 0x94, i32x4_trunc_sat_f64x2_zero: 0xfc,
  i64x2_extend_low_i32x4_s: 0xc7, i64x2_add: 0xce, i64x2_sub: 0xd1, i64x2_shl: 0xcb, i64x2_shr_u: 0xcd, i64x2_splat: 0x12,
  f64x2_convert_low_i32x4_s: 0xfe,
} as const;

function vconst(f: Func, lo: number, hi = lo): void {
  const b = new DataView(new ArrayBuffer(16));
  b.setFloat64(0, lo, true);
  b.setFloat64(8, hi, true);
  f.simd(Simd.const).op(...new Uint8Array(b.buffer));
}
function iconst64(f: Func, v: bigint): void {
  const b = new DataView(new ArrayBuffer(16));
  b.setBigInt64(0, v, true);
  b.setBigInt64(8, v, true);
  f.simd(Simd.const).op(...new Uint8Array(b.buffer));
}
const shuffle = (f: Func, lanes: number[]): void => void f.simd(S.shuffle).op(...lanes);

/** Scratch v128 locals for the routines (allocated once per function). */
export type VTmp = (slot: number) => number;

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;

/** f64x2 on the stack -> [q = expm1(r), s = 2^n] in locals; x clamped to [lo, hi] first. */
function expCore(f: Func, t: VTmp, lo: number, hi: number): { q: number; s: number } {
  const x = t(20), n = t(21), r = t(22), q = t(23), s = t(24);
  f.set(x);
  vconst(f, hi);
  f.get(x).simd(Simd.f64x2_min);
  vconst(f, lo);
  f.simd(Simd.f64x2_max).set(x);
  f.get(x);
  vconst(f, 1 / Math.LN2);
  f.simd(Simd.f64x2_mul).simd(S.f64x2_nearest).set(n);
  // r = x - n ln2_hi - n ln2_lo (n ln2_hi is exact: ln2_hi has 32 significant bits and |n| < 2^11)
  f.get(x).get(n);
  vconst(f, LN2_HI);
  f.simd(Simd.f64x2_mul).simd(Simd.f64x2_sub).get(n);
  vconst(f, LN2_LO);
  f.simd(Simd.f64x2_mul).simd(Simd.f64x2_sub).set(r);
  // q = r (1 + r/2 (1 + r/3 (1 + ... r/12))) = expm1(r)
  vconst(f, 1);
  for (let k = 12; k >= 2; k--) {
    f.get(r);
    vconst(f, 1 / k);
    f.simd(Simd.f64x2_mul).simd(Simd.f64x2_mul);
    vconst(f, 1);
    f.simd(Simd.f64x2_add);
  }
  f.get(r).simd(Simd.f64x2_mul).set(q);
  // s = 2^n: (n + 1023) << 52 as bits (n is an integer-valued f64 in [-1022, 1023])
  f.get(n).simd(S.i32x4_trunc_sat_f64x2_zero).simd(S.i64x2_extend_low_i32x4_s);
  iconst64(f, 1023n);
  f.simd(S.i64x2_add).i32(52).simd(S.i64x2_shl).set(s);
  return { q, s };
}

/** log of an f64x2 on the stack (any f64 > 0 normal; special inputs patched by the caller). */
function logCore(f: Func, t: VTmp): void {
  const x = t(30), e = t(31), m = t(32), g = t(33), g2 = t(34), big = t(35);
  f.set(x);
  // e = exponent, m = mantissa in [1, 2)
  f.get(x).i32(52).simd(S.i64x2_shr_u);
  iconst64(f, 1023n);
  f.simd(S.i64x2_sub).set(e);
  f.get(x);
  iconst64(f, 0x000fffffffffffffn);
  f.simd(Simd.and);
  iconst64(f, 0x3ff0000000000000n);
  f.simd(Simd.or).set(m);
  // m > sqrt 2: halve it, bump e (mask is all ones in those lanes, i.e. -1: e - mask)
  f.get(m);
  vconst(f, Math.SQRT2);
  f.simd(Simd.f64x2_gt).set(big);
  f.get(m);
  vconst(f, 0.5);
  f.simd(Simd.f64x2_mul).get(m).get(big).simd(Simd.bitselect).set(m);
  f.get(e).get(big).simd(S.i64x2_sub).set(e);
  // e as f64: its low 32 bits per lane -> i32x4 lanes 0 and 2 -> shuffle to 0, 1 -> convert
  f.get(e).get(e);
  shuffle(f, [0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
  f.simd(S.f64x2_convert_low_i32x4_s).set(e);
  // g = (m - 1) / (m + 1); log m = 2 (g + g^3/3 + ... + g^21/21)
  f.get(m);
  vconst(f, 1);
  f.simd(Simd.f64x2_sub).get(m);
  vconst(f, 1);
  f.simd(Simd.f64x2_add).simd(Simd.f64x2_div).set(g);
  f.get(g).get(g).simd(Simd.f64x2_mul).set(g2);
  vconst(f, 1 / 21);
  for (let k = 19; k >= 1; k -= 2) {
    f.get(g2).simd(Simd.f64x2_mul);
    vconst(f, 1 / k);
    f.simd(Simd.f64x2_add);
  }
  f.get(g).simd(Simd.f64x2_mul);
  vconst(f, 2);
  f.simd(Simd.f64x2_mul);
  f.get(e);
  vconst(f, Math.LN2);
  f.simd(Simd.f64x2_mul).simd(Simd.f64x2_add);
}

/** `fn` of the f64x2 on the stack (widened f32 values), leaving f64x2. */
function evalF64(f: Func, t: VTmp, fn: VecFn): void {
  const x = t(40), y = t(41);
  if (fn === "exp" || fn === "expm1") {
    const { q, s } = expCore(f, t, -104, 89);
    f.get(s).get(q).simd(Simd.f64x2_mul);
    if (fn === "exp") f.get(s).simd(Simd.f64x2_add);
    else {
      f.get(s);
      vconst(f, 1);
      f.simd(Simd.f64x2_sub).simd(Simd.f64x2_add);
    }
    return;
  }
  if (fn === "sigmoid") {
    f.simd(Simd.f64x2_neg);
    const { q, s } = expCore(f, t, -104, 104);
    vconst(f, 1);
    vconst(f, 1);
    f.get(s).get(q).simd(Simd.f64x2_mul).get(s).simd(Simd.f64x2_add).simd(Simd.f64x2_add).simd(Simd.f64x2_div);
    return;
  }
  if (fn === "tanh") {
    f.tee(x).simd(Simd.f64x2_abs);
    vconst(f, 2);
    f.simd(Simd.f64x2_mul);
    vconst(f, 20);
    f.simd(Simd.f64x2_min);
    const { q, s } = expCore(f, t, -104, 89);
    // e = expm1(2|x|); t = e / (e + 2)
    f.get(s).get(q).simd(Simd.f64x2_mul).get(s);
    vconst(f, 1);
    f.simd(Simd.f64x2_sub).simd(Simd.f64x2_add).set(y);
    f.get(y).get(y);
    vconst(f, 2);
    f.simd(Simd.f64x2_add).simd(Simd.f64x2_div);
    // copy x's sign bit (keeps -0 and NaN)
    iconst64(f, 0x7fffffffffffffffn);
    f.simd(Simd.and).get(x);
    iconst64(f, -0x8000000000000000n);
    f.simd(Simd.and).simd(Simd.or);
    return;
  }
  // log, log1p: u = x or 1 + x; specials: u = 0 -> -Inf, u < 0 -> NaN, u = Inf -> Inf, NaN -> NaN
  const u = t(42), r = t(43);
  f.set(x);
  if (fn === "log1p") {
    vconst(f, 1);
    f.get(x).simd(Simd.f64x2_add);
  } else f.get(x);
  f.set(u);
  f.get(u);
  logCore(f, t);
  f.set(r);
  // u == 0 -> -Inf
  vconst(f, -Infinity);
  f.get(r).get(u);
  vconst(f, 0);
  f.simd(Simd.f64x2_eq).simd(Simd.bitselect).set(r);
  // u < 0 or NaN -> NaN (u != u covers NaN; NaN - NaN is NaN)
  vconst(f, NaN);
  f.get(r).get(u);
  vconst(f, 0);
  f.simd(Simd.f64x2_lt).get(u).get(u).simd(Simd.f64x2_ne).simd(Simd.or).simd(Simd.bitselect).set(r);
  // u == Inf -> Inf
  vconst(f, Infinity);
  f.get(r).get(u);
  vconst(f, Infinity);
  f.simd(Simd.f64x2_eq).simd(Simd.bitselect).set(r);
  if (fn === "log1p") {
    // |x| < 2^-20: x - x^2/2 (1 + x is not exact below 2^-28; the next term is below 2^-40 relative)
    f.get(x).get(x).get(x).simd(Simd.f64x2_mul);
    vconst(f, 0.5);
    f.simd(Simd.f64x2_mul).simd(Simd.f64x2_sub).get(r).get(x).simd(Simd.f64x2_abs);
    vconst(f, 2 ** -20);
    f.simd(Simd.f64x2_lt).simd(Simd.bitselect).set(r);
  }
  f.get(r);
}

/** `fn` of the f32x4 on the stack, leaving f32x4 (both halves widened, computed, narrowed once). */
export function vecF32(f: Func, t: VTmp, fn: VecFn): void {
  const v = t(50), lo = t(51);
  f.tee(v).simd(S.f64x2_promote_low);
  evalF64(f, t, fn);
  f.simd(S.f32x4_demote_zero).set(lo);
  f.get(v).get(v);
  shuffle(f, [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]);
  f.simd(S.f64x2_promote_low);
  evalF64(f, t, fn);
  f.simd(S.f32x4_demote_zero).set(v);
  f.get(lo).get(v);
  shuffle(f, [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
}

/** The scalar f32 on the stack through the same code: splat, compute, lane 0. */
export function scalarF32(f: Func, t: VTmp, fn: VecFn): void {
  f.simd(Simd.f32x4_splat);
  vecF32(f, t, fn);
  f.simd(Simd.f32x4_extract_lane).op(0);
}
