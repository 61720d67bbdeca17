/** @file matmul: batched, with transpose flags and broadcast batch dimensions. */
import { DTypeError, ShapeError } from "../errors.js";
import { broadcastShapes, broadcastStrides, shapeStr, sizeOf, stridesOf } from "../shape.js";
import { nd } from "../ndarray.js";
import { promote } from "../dtype.js";
import type { TensorType } from "../graph.js";
import { defineOp } from "./def.js";
import type { MatmulAttrs } from "./names.js";


/** Rows, inner and columns of a matmul, after the transpose flags. */
export function matmulDims(a: TensorType, b: TensorType, t: MatmulAttrs): { m: number; k: number; n: number; batch: number[] } {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = t.transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = t.transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const k2 = t.transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = t.transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const sig = `${a.dtype}${shapeStr(a.shape)} x ${b.dtype}${shapeStr(b.shape)}${t.transposeA ? " (transposeA)" : ""}${t.transposeB ? " (transposeB)" : ""}`;
  if (ra < 2 || rb < 2) throw new ShapeError(`matmul: both operands need rank >= 2, got ${sig}`);
  if (k !== k2) throw new ShapeError(`matmul: inner dimensions differ (${k} vs ${k2}) in ${sig}`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), "matmul batch");
  return { m, k, n, batch };
}

export const contractOps = {
  // dA = dY B^T, dB = A^T dY (transposes folded into flags); batch broadcasts are summed back by autodiff
  matmul: defineOp<MatmulAttrs>({
    kind: "contract",
    arity: 2,
    attrs: { transposeA: "bool", transposeB: "bool" },
    defaults: { transposeA: false, transposeB: false },
    infer: ([a, b], t) => {
      const dtype = promote(a!.dtype, b!.dtype, "matmul");
      if (dtype === "bool") throw new DTypeError("matmul: bool operands are not supported");
      const { m, n, batch } = matmulDims(a!, b!, t);
      return { dtype, shape: [...batch, m, n] };
    },
    interpret: ([a, b], t, out, wide) => {
      const { m, k, n, batch } = matmulDims(a!, b!, t);
      const o = nd(out.dtype, out.shape, undefined, wide);
      const bsa = broadcastStrides(a!.shape.slice(0, -2), batch).map((s) => s * m * k);
      const bsb = broadcastStrides(b!.shape.slice(0, -2), batch).map((s) => s * k * n);
      const bst = stridesOf(batch);
      const [ai, ak] = t.transposeA ? [1, m] : [k, 1];
      const [bk, bj] = t.transposeB ? [1, k] : [n, 1];
      for (let p = 0; p < sizeOf(batch); p++) {
        let offA = 0;
        let offB = 0;
        let rem = p;
        bst.forEach((s, d) => {
          const i = Math.floor(rem / s);
          rem -= i * s;
          offA += i * bsa[d]!;
          offB += i * bsb[d]!;
        });
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let q = 0; q < k; q++) acc += a!.data[offA + i * ai + q * ak]! * b!.data[offB + q * bk + j * bj]!;
            o.data[p * m * n + i * n + j] = acc;
          }
        }
      }
      return o;
    },
    vjp: ({ b, x: [A, B], dy, attrs: { transposeA: ta, transposeB: tb } }) => {
      const mm = (p: typeof A, q: typeof A, transposeA: boolean, transposeB: boolean) => b.emit("matmul", [p!, q!], { transposeA, transposeB });
      const dA = ta ? mm(B, dy, tb, true) : mm(dy, B, false, !tb);
      const dB = tb ? mm(dy, A, true, ta) : mm(A, dy, !ta, false);
      return [dA, dB];
    },
    js: { kernel: "matmul" },
    tfjs: ([a, b], t) => `tf.matMul(${a}, ${b}, ${t.transposeA}, ${t.transposeB})`,
    // 2-D floats: Gemm takes the transpose flags itself; otherwise transpose the last two axes, then MatMul
    onnx: (e, [a, b], t, ctx) => {
      const [ta, tb] = ctx.ins;
      if (ta!.shape.length === 2 && tb!.shape.length === 2 && ctx.out.dtype !== "i32") {
        return e.node("Gemm", [a!, b!], { transA: { i: t.transposeA ? 1 : 0 }, transB: { i: t.transposeB ? 1 : 0 } });
      }
      const lastTwo = (x: string, r: number) => e.node("Transpose", [x], { perm: { ints: [...Array(r - 2).keys(), r - 1, r - 2] } });
      return e.node("MatMul", [t.transposeA ? lastTwo(a!, ta!.shape.length) : a!, t.transposeB ? lastTwo(b!, tb!.shape.length) : b!]);
    },
  }),
} as const;
