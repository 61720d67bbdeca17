/** @file Function transformations `grad(f, { argnums })` and `valueAndGrad(f)`, built on `gradients`. */
import { GradError, UsageError } from "../ir/index.js";
import { Tensor } from "./tensor.js";
import { apply } from "./apply.js";
import { tensor } from "./create.js";
import { flatten, unflatten } from "./pytree.js";
import { gradients } from "./autodiff.js";
import { userLoc } from "./loc.js";

export interface GradOptions<N extends number | readonly number[] = number | readonly number[]> {
  /** Which arguments to differentiate: a number gives one gradient, an array gives an array (default 0). */
  readonly argnums?: N;
}

/** A gradient shaped like its argument: a tensor, or the same nested arrays/objects of tensors. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GradOf = any;

/**
 * Differentiates `f` with respect to arguments `argnums`, at `args`; returns the value too.
 * Each differentiated tensor goes through an identity first, so it is a fresh leaf: a tensor that
 * `f` also closes over, or the same tensor passed twice, is not mixed up with the argument (as
 * JAX). The identity is a same-shape reshape, which later passes drop.
 */
function valueAndGradAt(f: (...args: never[]) => unknown, args: unknown[], argnums: number | readonly number[]): { value: Tensor; grad: GradOf } {
  const loc = userLoc();
  const nums = typeof argnums === "number" ? [argnums] : [...argnums];
  if (nums.length === 0) throw new UsageError("grad: argnums is empty", loc);
  const call = [...args];
  const trees = nums.map((k) => {
    if (!Number.isInteger(k) || k < 0 || k >= args.length) throw new UsageError(`grad: argnums ${k} is out of range for ${args.length} argument(s)`, loc);
    if (nums.indexOf(k) !== nums.lastIndexOf(k)) throw new UsageError(`grad: argnums repeats ${k}`, loc);
    const a = typeof args[k] === "number" ? tensor(args[k] as number) : args[k];
    const { leaves, def } = flatten(a);
    if (leaves.length === 0) throw new UsageError(`grad: argument ${k} holds no tensors to differentiate`, loc);
    const fresh = (leaves as Tensor[]).map((t) => apply("reshape", [t], { shape: t.shape }));
    call[k] = unflatten(def, fresh);
    return { def, fresh };
  });
  const value = (f as (...a: unknown[]) => unknown)(...call);
  if (!(value instanceof Tensor)) throw new GradError(`grad: f must return a tensor to differentiate, got ${value === null ? "null" : typeof value}`, loc);
  const gs = gradients(value, trees.flatMap((t) => t.fresh));
  let i = 0;
  const out = trees.map((t) => unflatten(t.def, t.fresh.map(() => gs[i++])));
  return { value, grad: typeof argnums === "number" ? out[0] : out };
}

/**
 * `grad(f)(...args)` is the gradient of `sum(f(...args))` with respect to `args[0]`; with
 * `{ argnums: [0, 2] }` an array of gradients. An argument may be a tensor, a variable, a number
 * or a nested array/object of tensors (the gradient has the same structure). Works inside `fn`
 * and eagerly, and composes: `grad(grad(f))` is the second derivative.
 */
export function grad<A extends unknown[]>(f: (...args: A) => Tensor, opts: GradOptions = {}): (...args: A) => GradOf {
  return (...args: A) => valueAndGradAt(f as never, args, opts.argnums ?? 0).grad;
}

/** Like `grad`, and also returns `f`'s value: `{ value, grad }`. */
export function valueAndGrad<A extends unknown[]>(f: (...args: A) => Tensor, opts: GradOptions = {}): (...args: A) => { value: Tensor; grad: GradOf } {
  return (...args: A) => valueAndGradAt(f as never, args, opts.argnums ?? 0);
}
