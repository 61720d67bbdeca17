/** @file The `rt.*` helpers generated tfjs programs call where TensorFlow.js has no matching op. */
import type * as TF from "@tensorflow/tfjs";
import { fillNormal, fillUniform } from "../../ir/random.js";
import { NaNError, shapeStr, sizeOf, tfjsDType, type DType } from "../../ir/index.js";

export type Tfjs = typeof TF;

export interface TfjsRuntime {
  iota(shape: readonly number[], axis: number, dtype: "int32" | "float32"): TF.Tensor;
  scatterAdd(updates: TF.Tensor, indices: TF.Tensor, axis: number, size: number): TF.Tensor;
  randomUniform(key: TF.Tensor, shape: readonly number[], dtype: DType): TF.Tensor;
  randomNormal(key: TF.Tensor, shape: readonly number[], dtype: DType): TF.Tensor;
  check(x: TF.Tensor, op: string, loc: string): void;
}

export function makeRuntime(tf: Tfjs): TfjsRuntime {
  /**
   * graft's random numbers are Threefry-2x32 of (key, element index): tfjs's generators are not
   * counter-based, so the bits are made on the host (the key is two ints) and uploaded. Every
   * backend then sees the same numbers as the interpreter, bit for bit before f32 rounding.
   */
  const random = (fill: typeof fillUniform) => (key: TF.Tensor, shape: readonly number[], dtype: DType): TF.Tensor => {
    const k = key.dataSync();
    const out = new Float64Array(sizeOf(shape));
    fill(k[0]!, k[1]!, out);
    return tf.tensor(Float32Array.from(out), [...shape], tfjsDType(dtype));
  };
  return {
    iota: (shape, axis, dtype) => {
      // range along `axis`, reshaped to broadcast over the other axes
      const n = shape[axis]!;
      const along = shape.map((d, i) => (i === axis ? n : 1));
      return tf.broadcastTo(tf.reshape(tf.range(0, n, 1, dtype), along), [...shape]);
    },
    scatterAdd: (u, idx, axis, size) => {
      // out[o, idx[m], i] += u[o, m, i]: bring the indexed axis to the front, scatterND there
      // (it sums duplicate indices), and move it back. Both cpu and wasm have ScatterNd.
      const s = u.shape;
      const r = idx.shape.length;
      const outer = s.slice(0, axis);
      const inner = s.slice(axis + r);
      const [O, M, I] = [sizeOf(outer), sizeOf(idx.shape), sizeOf(inner)];
      const front = O === 1 ? tf.reshape(u, [M, I]) : tf.reshape(tf.transpose(tf.reshape(u, [O, M, I]), [1, 0, 2]), [M, O * I]);
      const summed = tf.scatterND(tf.reshape(idx, [M, 1]), front, [size, O * I]);
      const back = O === 1 ? summed : tf.transpose(tf.reshape(summed, [size, O, I]), [1, 0, 2]);
      return tf.reshape(back, [...outer, size, ...inner]);
    },
    randomUniform: random(fillUniform),
    randomNormal: random(fillNormal),
    check: (x, op, loc) => {
      const d = x.dataSync();
      for (let i = 0; i < d.length; i++) {
        if (!Number.isFinite(d[i]!)) {
          throw new NaNError(`checked run: ${op} produced ${Number.isNaN(d[i]!) ? "NaN" : "Inf"} at element ${i} of float32${shapeStr(x.shape)}`, loc || undefined);
        }
      }
    },
  };
}
