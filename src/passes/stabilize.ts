/** @file Numerically stable rewrites (PyTensor's stabilize phase): forms that overflow or cancel become ones that do not.
 *
 * These rules deliberately change results where the original underflows, overflows or cancels
 * (that is their purpose: log(sigmoid(-200)) is -Inf in f32 but -200 after the rewrite); on
 * every input where the original is accurate they agree with it to rounding, and NaN stays NaN.
 * They match specific ops, so the ops are named here, in one declared table, and nowhere else.
 */
import { isFloat, sameShape, type Builder, type Node, type Value } from "../ir/index.js";
import { K, any, op, opB, rulePass, x, type Match, type Rule } from "./rewrite.js";

const rule = (name: string, why: string, pat: Rule["pat"], to: Rule["to"]): Rule => ({ name, why, pat, to });

/** log(sigmoid(x)) = -softplus(-x) = min(x, 0) - log1p(exp(-|x|)): the exp never overflows. */
function logSigmoid(b: Builder, v: Value): Value {
  return b.o.sub(b.o.minimum(v, 0), b.o.log1p(b.o.exp(b.o.neg(b.o.abs(v)))));
}

/** Is `z` already x - max(x) over `axes` (the DSL's softmax)? Then exp(z) <= 1 and no shift is needed. */
function isMaxShifted(z: Value, axes: readonly number[]): boolean {
  const d = z.def;
  if (!d || d.op !== "sub") return false;
  let m = d.inputs[1]!.def;
  while (m && (m.op === "reshape" || m.op === "broadcast_to" || m.op === "stop_gradient")) m = m.inputs[0]!.def;
  return !!m && m.op === "max" && m.inputs[0] === d.inputs[0] && sameShape(m.attrs["axes"] as number[], axes);
}

/**
 * log(softmax(z)) = z - m - log(sum(exp(z - m))) for any m; m = max(z) keeps every exp <= 1,
 * so the sum cannot overflow (naive softmax of logits near 100 is Inf/Inf = NaN in f32). A
 * non-finite max (a NaN or Inf in the row) shifts by 0 instead, so NaN and Inf propagate
 * exactly as in the original. When z is already shifted by its max, the shift is skipped.
 */
function logSoftmax(b: Builder, z: Value, sum: Node): Value {
  const axes = sum.attrs["axes"] as readonly number[];
  const keep = sum.attrs["keepDims"] as boolean;
  const s = sum.outputs[0]!;
  // log(exp(z) / s) = z - log(s) holds for any broadcasting; the shifted form needs s to line up with the kept axes
  const kept = z.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const aligned = sameShape([...new Array<number>(z.shape.length - s.shape.length).fill(1), ...s.shape], kept);
  if (isMaxShifted(z, axes) || !aligned) return b.o.sub(z, b.o.log(s));
  const mx = b.emit("max", [z], { axes: [...axes], keepDims: true });
  const finite = b.o.equal(b.o.sub(mx, mx), b.constant(0, z.dtype)); // false for NaN and +-Inf
  const shift = b.o.where(finite, mx, b.constant(0, z.dtype));
  const zs = b.o.sub(z, shift);
  const lse = b.emit("sum", [b.o.exp(zs)], { axes: [...axes], keepDims: keep });
  const lseKept = keep ? lse : b.emit("reshape", [lse], { shape: kept });
  return b.o.sub(zs, b.o.log(lseKept));
}

/**
 * sum over the class axis of onehot(L) * c, with c a finite constant, is c where 0 <= L < C and 0
 * elsewhere: exactly one element of an in-range row is 1, and 0 * c = 0 because c is finite. This
 * is what turns the cross-entropy gradient  -onehot/B + softmax * sum(onehot/B)  into the simple
 * (softmax - onehot)/B, without a reduction over the classes.
 */
const ONE_HOT = opB("oh", "cast", [op("equal", any("L"), opB("io", "iota", []))]);

function sumOfOneHot(m: Match, b: Builder, sign: 1 | -1): Value | undefined {
  const sum = m.n["sum"]!;
  const oh = m.n["oh"]!.outputs[0]!;
  const io = m.n["io"]!;
  const L = m.v["L"]!;
  const c = sign * m.k["c"]!;
  const axes = sum.attrs["axes"] as readonly number[];
  const R = oh.shape.length;
  const a = axes[0]!;
  const C = oh.shape[a]!;
  const ioAxis = R - io.outputs[0]!.shape.length + (io.attrs["axis"] as number);
  const full = [...new Array<number>(R - L.shape.length).fill(1), ...L.shape];
  if (axes.length !== 1 || !Number.isFinite(c) || c === 0 || ioAxis !== a || io.outputs[0]!.shape[io.attrs["axis"] as number] !== C) return undefined;
  if (isFloat(L.dtype) || full[a] !== 1 || !sameShape(sum.inputs[0]!.shape, oh.shape)) return undefined;
  const valid = b.o.logical_and(b.o.greater_equal(L, b.constant(0, L.dtype)), b.o.less(L, b.constant(C, L.dtype)));
  // where, not mul: an out-of-range row sums to +0 (0 * c is -0 for negative c)
  let r = b.o.where(valid, b.constant(c, oh.dtype), b.constant(0, oh.dtype));
  const kept = oh.shape.map((d, i) => (i === a ? 1 : d));
  if (!sameShape(r.shape, full)) r = b.emit("reshape", [r], { shape: full });
  if (!sameShape(r.shape, kept)) r = b.emit("broadcast_to", [r], { shape: kept });
  const out = sum.outputs[0]!.shape;
  return sameShape(r.shape, out) ? r : b.emit("reshape", [r], { shape: [...out] });
}

export const STABILIZE_RULES: readonly Rule[] = [
  // log(1 + x) loses every digit of x below 1 ulp of 1; log1p keeps them
  rule("log(1 + x) -> log1p(x)", "1 + x rounds away small x", op("log", op("add", K(1), x)), (m, e) => e.b.o.log1p(m.v["x"]!)),
  // exp(x) - 1 cancels catastrophically near 0; expm1 does not
  rule("exp(x) - 1 -> expm1(x)", "cancellation near x = 0", op("sub", op("exp", x), K(1)), (m, e) => e.b.o.expm1(m.v["x"]!)),
  rule("exp(x) + -1 -> expm1(x)", "cancellation near x = 0", op("add", op("exp", x), K(-1)), (m, e) => e.b.o.expm1(m.v["x"]!)),
  // log(exp(x)): exp overflows to Inf for x > 88 in f32
  rule("log(exp(x)) -> x", "exp overflows long before log would bring it back", op("log", op("exp", x)), (m) => m.v["x"]),
  // sigmoid underflows to 0 for x < -88 (f32), and log(0) = -Inf
  rule("log(sigmoid(x)) -> -softplus(-x)", "sigmoid underflows for very negative x", op("log", op("sigmoid", x)), (m, e) => logSigmoid(e.b, m.v["x"]!)),
  // log(softmax(z)) = z - log(sum(exp(z))): the log of an underflowed probability is -Inf,
  // the log-softmax form is finite (the sum is of exps, so it is >= +0 and the identity holds)
  rule("log(exp(z) / sum(exp(z))) -> z - m - log(sum(exp(z - m)))", "log of a softmax: the logSoftmax form",
    op("log", op("div", opB("e", "exp", [any("z")]), opB("s", "sum", [any("e")]))), (m, e) => logSoftmax(e.b, m.v["z"]!, m.n["s"]!)),
  // the softmax cross-entropy gradient: a one-hot summed over its classes is 1 (see sumOfOneHot)
  rule("sum(onehot(L) * c, classes) -> c * (0 <= L < C)", "the cross-entropy gradient becomes softmax - onehot",
    opB("sum", "sum", [op("mul", ONE_HOT, K("any", "c"))]), (m, e) => sumOfOneHot(m, e.b, 1)),
  rule("sum(-(onehot(L) * c), classes) -> -c * (0 <= L < C)", "the same, as autodiff writes it",
    opB("sum", "sum", [op("neg", op("mul", ONE_HOT, K("any", "c")))]), (m, e) => sumOfOneHot(m, e.b, -1)),
];

export const stabilize = rulePass("stabilize", "numerically stable forms: log1p, expm1, log-softmax, log-sigmoid", STABILIZE_RULES);
