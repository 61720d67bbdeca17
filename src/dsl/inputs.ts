/** @file What a compiled step accepts as a tensor argument: graft tensors, typed arrays, tfjs tensors. */
import { nd, UsageError, type NDArray } from "../ir/index.js";
import { Tensor } from "./tensor.js";

interface TfjsLike {
  readonly shape: number[];
  readonly dtype: string;
  dataSync(): ArrayLike<number>;
}
const isTfjsTensor = (x: unknown): x is TfjsLike =>
  typeof x === "object" && x !== null && "dataSync" in x && "shape" in x && "dtype" in x && !(x instanceof Tensor) && typeof (x as { dataSync: unknown }).dataSync === "function";

/** Leaves of a call's argument tree that are tensors (everything else is a static, trace-time value). */
export const isTensorInput = (x: unknown): boolean => x instanceof Tensor || ArrayBuffer.isView(x) || isTfjsTensor(x);

export function asInputArray(x: unknown): NDArray {
  if (x instanceof Tensor) {
    if (x.isSymbolic) throw new UsageError("a symbolic tensor was passed to a compiled step; call compiled steps with concrete values");
    return x.nd;
  }
  if (x instanceof Float32Array) return { dtype: "f32", shape: [x.length], data: x };
  if (x instanceof Float64Array) return { dtype: "f64", shape: [x.length], data: x };
  if (x instanceof Int32Array) return { dtype: "i32", shape: [x.length], data: x };
  if (x instanceof Uint8Array) return { dtype: "bool", shape: [x.length], data: x };
  if (isTfjsTensor(x)) {
    const dt = x.dtype === "int32" ? "i32" : x.dtype === "bool" ? "bool" : "f32";
    // No copy up front: the tensor travels as `native` (the tfjs backend uses it as is) and
    // `data` downloads only if another backend reads it.
    let host: NDArray | undefined;
    const lazy: NDArray & { readonly native: unknown } = {
      dtype: dt,
      shape: [...x.shape],
      native: x,
      get data() {
        if (!host) {
          const data = x.dataSync();
          host = dt === "f32" && data instanceof Float32Array ? { dtype: dt, shape: [...x.shape], data } : nd(dt, x.shape, data);
        }
        return host.data;
      },
    };
    return lazy;
  }
  throw new UsageError(`cannot use ${Object.prototype.toString.call(x)} as a tensor argument`);
}
