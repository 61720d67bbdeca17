/** @file Ops written in the DSL from primitives (softmax and friends): their gradients come for free. */
import { normAxis, parseDType } from "../ir/index.js";
import { Tensor } from "./tensor.js";
import { add, cast, equal, exp, expandDims, expm1, greater, log, log1p, max, mul, neg, stopGradient, sub, sum, div, where } from "./ops.js";
import { iota, type DTypeName } from "./create.js";

/** log(sum(exp(x))) along `axis`, shifted by the max for stability. */
export function logSumExp(x: Tensor, axis: number | number[] = -1, keepDims = false): Tensor {
  const m = stopGradient(max(x, axis, true));
  const r = add(log(sum(exp(sub(x, m)), axis, true)), m);
  return keepDims ? r : sum(r, axis);
}

/** x - logsumexp(x): the stable log of softmax. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return sub(x, logSumExp(x, axis, true));
}

/** exp(x - max) / sum(exp(x - max)). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const e = exp(sub(x, stopGradient(max(x, axis, true))));
  return div(e, sum(e, axis, true));
}

/**
 * Selects with a safe operand in each branch (the "double where"): `x` where `pos`, 0 elsewhere,
 * and the other way round. A branch that would overflow or divide by zero at the points it does
 * not serve then computes on 0 instead, so its (unselected) gradient is 0 · finite = 0, never
 * 0 · Inf = NaN; and each branch's own derivative holds at the boundary point it serves.
 */
function splitAt0(x: Tensor): { pos: Tensor; xp: Tensor; xn: Tensor } {
  const pos = greater(x, 0);
  return { pos, xp: where(pos, x, 0), xn: where(pos, 0, x) };
}

/**
 * softplus = lin + tail with lin = max(x, 0) and tail = log1p(e^-|x|) (never overflows), written
 * through splitAt0 instead of relu and abs: relu'(0) = abs'(0) = 0 would make softplus'(0) = 0;
 * here -|x| = xn - xp has derivative 1 at 0, so softplus'(0) = sigmoid(0) = 0.5 and
 * softplus''(0) = 0.25, as tf.softplus. Exported for losses that subtract x·y from lin first.
 */
export function softplusParts(x: Tensor): { lin: Tensor; tail: Tensor } {
  const { xp, xn } = splitAt0(x);
  return { lin: xp, tail: log1p(exp(sub(xn, xp))) };
}

/** log(1 + e^x), stable everywhere; its derivative is sigmoid(x) at every point (0.5 at 0). */
export function softplus(x: Tensor): Tensor {
  const { lin, tail } = softplusParts(x);
  return add(lin, tail);
}

/** log(sigmoid(x)) = -softplus(-x): never overflows; derivative sigmoid(-x) (tf.logSigmoid). */
export const logSigmoid = (x: Tensor): Tensor => neg(softplus(neg(x)));

/** One-hot rows for integer indices (f32 by default; tfjs defaults to int32). */
export function oneHot(indices: Tensor, depth: number, opts: { onValue?: number; offValue?: number; dtype?: DTypeName } = {}): Tensor {
  const { onValue = 1, offValue = 0 } = opts;
  const dt = parseDType(opts.dtype ?? "f32");
  const hot = cast(equal(expandDims(cast(indices, "i32"), -1), iota([depth], 0, "i32")), dt);
  return onValue === 1 && offValue === 0 ? hot : add(hot.mul(onValue - offValue), offValue);
}

/**
 * x where x > 0, alpha·x elsewhere (not max(x, alpha·x), which is wrong for alpha > 1 or < 0).
 * The derivative at 0 is alpha, as TF's LeakyReluGrad. The default 0.2 is tf.leakyRelu's; Keras's
 * LeakyReLU layer defaults to 0.3 (layers.LeakyReLU).
 */
export const leakyRelu = (x: Tensor, alpha = 0.2): Tensor => where(greater(x, 0), x, mul(x, alpha));
/** x where x > 0, e^x - 1 elsewhere; the exp sees 0 where x > 0 (no Inf · 0 = NaN at x >= 89 in f32). elu'(0) = 1, as TF. */
export const elu = (x: Tensor): Tensor => {
  const { pos, xn } = splitAt0(x);
  return where(pos, x, expm1(xn));
};
export const normAxisOf = normAxis;
