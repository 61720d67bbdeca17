/** @file Ops written in the DSL from primitives (softmax and friends): their gradients come for free. */
import { normAxis, parseDType } from "../ir/index.js";
import { Tensor } from "./tensor.js";
import { add, cast, equal, exp, expandDims, log, log1p, max, maximum, neg, abs, relu, stopGradient, sub, sum, div } from "./ops.js";
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

/** log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows. */
export function softplus(x: Tensor): Tensor {
  return add(relu(x), log1p(exp(neg(abs(x)))));
}

/** One-hot rows for integer indices (f32 by default; tfjs defaults to int32). */
export function oneHot(indices: Tensor, depth: number, opts: { onValue?: number; offValue?: number; dtype?: DTypeName } = {}): Tensor {
  const { onValue = 1, offValue = 0 } = opts;
  const dt = parseDType(opts.dtype ?? "f32");
  const hot = cast(equal(expandDims(cast(indices, "i32"), -1), iota([depth], 0, "i32")), dt);
  return onValue === 1 && offValue === 0 ? hot : add(hot.mul(onValue - offValue), offValue);
}

export const leakyRelu = (x: Tensor, alpha = 0.2): Tensor => maximum(x, x.mul(alpha));
export const elu = (x: Tensor): Tensor => x.greater(0).where(x, exp(x).sub(1));
export const normAxisOf = normAxis;
