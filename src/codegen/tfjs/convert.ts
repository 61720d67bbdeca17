/** @file Host arrays <-> tfjs tensors (tfjs has no float64: f64 travels as float32 and comes back widened). */
import type * as TF from "@tensorflow/tfjs";
import { tfjsDType, type DType, type NDArray, type Shape } from "../../ir/index.js";
import type { Tfjs } from "./rt.js";

/** Uploads a host array to the active tfjs backend. */
export function upload(tf: Tfjs, a: NDArray): TF.Tensor {
  const dt = tfjsDType(a.dtype);
  const data = dt === "float32" && !(a.data instanceof Float32Array) ? Float32Array.from(a.data) : a.data;
  return tf.tensor(data as Float32Array | Int32Array | Uint8Array, [...a.shape], dt);
}

/**
 * Downloads a tensor as a host array of graft dtype `dtype`. Always a fresh array: the cpu
 * backend's dataSync hands out its own storage, which must never be written through.
 */
export function download(t: TF.Tensor, dtype: DType, shape: Shape = t.shape): NDArray {
  const d = t.dataSync();
  switch (dtype) {
    case "f32": return { dtype, shape: [...shape], data: Float32Array.from(d as Float32Array) };
    case "f64": return { dtype, shape: [...shape], data: Float64Array.from(d as Float32Array) };
    case "i32": return { dtype, shape: [...shape], data: Int32Array.from(d as Int32Array) };
    // normalized: some tfjs kernels leave other nonzero bytes in bool tensors
    case "bool": return { dtype, shape: [...shape], data: Uint8Array.from(d as Uint8Array, (v) => (v ? 1 : 0)) };
    default: return dtype satisfies never;
  }
}

/** graft's dtype for a tfjs dtype (complex and string tensors are not graft tensors). */
export function graftDType(d: string): DType | undefined {
  return d === "float32" ? "f32" : d === "int32" ? "i32" : d === "bool" ? "bool" : undefined;
}
