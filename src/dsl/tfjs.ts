/** @file Interop with TensorFlow.js: graft variables as tf.Variables and back, tensors both ways. */
import type * as TF from "@tensorflow/tfjs";
import { UsageError } from "../ir/index.js";
import { download, graftDType, upload } from "../codegen/tfjs/index.js";
import { loadTfjs } from "../runtime/tfjs.js";
import { adoptTfjsVariable, residentVariable, shareTfjs } from "../runtime/tfjs-state.js";
import { Tensor } from "./tensor.js";
import { Variable, type VariableOptions } from "./variable.js";

/**
 * The tfjs form of a graft tensor or variable.
 * - A Variable gives its live tf.Variable (made on first use): graft steps on the tfjs backend
 *   assign into this same object in place, and assignments made to it by tfjs code (e.g. a tfjs
 *   optimizer) are what the next graft step reads. Call it again after graft reads or assigns
 *   the variable eagerly; it returns the same tf.Variable, brought up to date.
 * - A Tensor gives a new tf.Tensor (a copy; the caller disposes it).
 */
export function toTfjs(x: Variable): TF.Variable;
export function toTfjs(x: Tensor): TF.Tensor;
export function toTfjs(x: Tensor): TF.Tensor {
  const tf = loadTfjs();
  if (x instanceof Variable) {
    const v = residentVariable(tf, x, { dtype: x.dtype, shape: x.shape });
    shareTfjs(x);
    return v;
  }
  if (!(x instanceof Tensor) || x.isSymbolic) throw new UsageError("toTfjs: expects a concrete graft Tensor or Variable");
  return upload(tf, x.nd);
}

/**
 * A graft Variable whose home is the given tf.Variable (for example a tfjs layer's weights):
 * graft steps on the tfjs backend read and assign it in place, without copies, so the tfjs model
 * sees every update. On other backends the value is downloaded when a step needs it.
 */
export function fromTfjsVariable(v: TF.Variable, opts: Omit<VariableOptions, "dtype"> = {}): Variable {
  const dtype = graftDType(v.dtype);
  if (!dtype || v.isDisposed) throw new UsageError(`fromTfjsVariable: expects a live float32, int32 or bool tf.Variable, got ${v.isDisposed ? "a disposed one" : v.dtype}`);
  const initial = download(v, dtype);
  const g = new Variable(new Tensor({ nd: initial }), { name: opts.name ?? v.name, trainable: opts.trainable ?? v.trainable, dtype });
  adoptTfjsVariable(g, v, dtype);
  return g;
}

/** A graft tensor holding a copy of a tf.Tensor's values. */
export function fromTfjs(t: TF.Tensor): Tensor {
  const dtype = graftDType(t.dtype);
  if (!dtype) throw new UsageError(`fromTfjs: ${t.dtype} tensors have no graft dtype`);
  return new Tensor({ nd: download(t, dtype) });
}
