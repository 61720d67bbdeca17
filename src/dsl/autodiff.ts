/** @file `gradients(y, xs)`: symbolic inside `fn` (a `grad` marker the grad pass expands), eager outside it. */
import { GradError, isFloat, UsageError } from "../ir/index.js";
import { Tensor } from "./tensor.js";
import { applyMulti } from "./apply.js";
import { currentTrace } from "./trace.js";
import { userLoc } from "./loc.js";
import { eagerGradients } from "./autodiff-eager.js";

function checkArgs(y: unknown, xs: readonly unknown[]): asserts y is Tensor {
  const loc = userLoc();
  if (!(y instanceof Tensor)) throw new UsageError(`gradients: y must be a tensor, got ${typeof y}`, loc);
  if (!isFloat(y.dtype)) throw new GradError(`gradients: y must be a float tensor, got ${y.dtype}[${y.shape}] (cast it first)`, loc);
  if (xs.length === 0) throw new UsageError("gradients: pass at least one tensor to differentiate with respect to", loc);
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new UsageError(`gradients: xs[${i}] must be a tensor or variable, got ${x === null ? "null" : typeof x}`, loc);
  });
}

/**
 * The gradient of `sum(y)` with respect to each of `xs` (as `tf.gradients`): one tensor shaped
 * like each x. An x that y does not depend on gets zeros; an integer or bool x gets zeros.
 *
 * Inside `fn` this records a `grad` marker (see `ir("traced")`) that the grad pass expands into
 * ordinary IR (see `ir("grad")`). A Variable in `xs` stands for its value as read at this point
 * of the step: the value it had when the step began, or its latest assigned value.
 *
 * Outside `fn` it works eagerly, from the lineage eager tensors keep: the computation from xs to
 * y is rebuilt as a graph, differentiated by the same pass, and run; the results have lineage
 * too, so eager gradients of gradients work.
 */
export function gradients(y: Tensor, xs: Tensor): Tensor;
export function gradients(y: Tensor, xs: readonly Tensor[]): Tensor[];
export function gradients(y: Tensor, xs: Tensor | readonly Tensor[]): Tensor | Tensor[] {
  const list = xs instanceof Tensor ? [xs] : Array.isArray(xs) ? (xs as readonly Tensor[]) : [xs as unknown as Tensor];
  checkArgs(y, list);
  const out = currentTrace() ? applyMulti("grad", [y, ...list]) : eagerGradients(y, list);
  return xs instanceof Tensor ? out[0]! : out;
}
