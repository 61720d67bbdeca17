/** @file Gradient clipping in the DSL (by value, by norm, by global norm), as tf.clip_by_* define them. */
import { div, maximum, scalar, sqrt, square, sum, where, clipByValue, type Tensor } from "../../dsl/index.js";

export { clipByValue };

/**
 * sqrt(s) with the derivative 0 at s = 0 instead of 1/(2·0) = Inf (times the 0 gradient of
 * sum(t²) there: NaN). The root sees 1 where s = 0 (the double where, as tf.clip_by_norm), so a
 * zero gradient clips to zero with a finite gradient of its own.
 */
function safeSqrt(s: Tensor): Tensor {
  const pos = s.greater(0);
  return where(pos, sqrt(where(pos, s, 1)), 0);
}

/** The L2 norm of all elements of `t` (its gradient at t = 0 is 0, not NaN). */
export const l2Norm = (t: Tensor): Tensor => safeSqrt(sum(square(t)));

/** t * clipNorm / max(||t||, clipNorm): rescales `t` only when its norm exceeds clipNorm. */
export function clipByNorm(t: Tensor, clipNorm: number): Tensor {
  return t.mul(clipNorm).div(maximum(l2Norm(t), clipNorm));
}

/** sqrt(sum_i ||t_i||^2) over a list of tensors. */
export function globalNorm(ts: readonly Tensor[]): Tensor {
  let acc = sum(square(ts[0]!));
  for (const t of ts.slice(1)) acc = acc.add(sum(square(t)).cast(acc.dtype));
  return safeSqrt(acc);
}

/** Every t_i * clipNorm / max(globalNorm, clipNorm), and the global norm (tf.clip_by_global_norm). */
export function clipByGlobalNorm(ts: readonly Tensor[], clipNorm: number): [Tensor[], Tensor] {
  if (ts.length === 0) return [[], scalar(0)];
  const norm = globalNorm(ts);
  const scale = div(clipNorm, maximum(norm, clipNorm));
  return [ts.map((t) => t.mul(scale.cast(t.dtype))), norm];
}
