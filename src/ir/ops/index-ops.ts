/** @file Indexing: gather along an axis and its adjoint, scatter_add. */
import { DTypeError, GraftError, ShapeError } from "../errors.js";
import { shapeStr, sizeOf } from "../shape.js";
import { nd } from "../ndarray.js";
import { defineOp } from "./def.js";

const checkIdx = (op: string, d: string): void => {
  if (d !== "i32") throw new DTypeError(`${op}: indices must be i32, got ${d}`);
};

export const indexOps = {
  // d gather = scatter_add of the cotangent into zeros of the input's shape
  gather: defineOp<{ axis: number }>({
    kind: "index",
    arity: 2,
    attrs: { axis: "int" },
    defaults: { axis: 0 },
    infer: ([x, idx], a) => {
      checkIdx("gather", idx!.dtype);
      if (!Number.isInteger(a.axis) || a.axis < 0 || a.axis >= x!.shape.length) throw new ShapeError(`gather: axis ${a.axis} out of range for ${shapeStr(x!.shape)}`);
      return { dtype: x!.dtype, shape: [...x!.shape.slice(0, a.axis), ...idx!.shape, ...x!.shape.slice(a.axis + 1)] };
    },
    interpret: ([x, idx], a, out, wide) => {
      const o = nd(out.dtype, out.shape, undefined, wide);
      const n = x!.shape[a.axis]!;
      const outer = sizeOf(x!.shape.slice(0, a.axis));
      const inner = sizeOf(x!.shape.slice(a.axis + 1));
      const m = idx!.data.length;
      for (let p = 0; p < outer; p++) {
        for (let j = 0; j < m; j++) {
          const k = idx!.data[j]!;
          if (k < 0 || k >= n) throw new GraftError(`gather: index ${k} is out of range [0, ${n}) on axis ${a.axis} of ${shapeStr(x!.shape)}`, "index");
          o.data.set(x!.data.subarray((p * n + k) * inner, (p * n + k + 1) * inner), (p * m + j) * inner);
        }
      }
      return o;
    },
    vjp: ({ b, x: [x, idx], dy, attrs }) => [b.emit("scatter_add", [dy, idx!], { axis: attrs.axis, size: x!.shape[attrs.axis]! }), null],
    js: { kernel: "gather" },
    tfjs: ([x, i], a) => `tf.gather(${x}, ${i}, ${a.axis})`,
    onnx: (e, [x, i], a) => e.node("Gather", [x!, i!], { axis: { i: a.axis } }),
  }),
  // out[..., idx[j], ...] += updates[..., j, ...]; d scatter_add = gather of the cotangent
  scatter_add: defineOp<{ axis: number; size: number }>({
    kind: "index",
    arity: 2,
    attrs: { axis: "int", size: "int" },
    infer: ([u, idx], a) => {
      checkIdx("scatter_add", idx!.dtype);
      const r = idx!.shape.length;
      const s = u!.shape;
      if (a.axis < 0 || a.axis + r > s.length || idx!.shape.some((d, i) => s[a.axis + i] !== d)) {
        throw new ShapeError(`scatter_add: updates ${shapeStr(s)} do not match indices ${shapeStr(idx!.shape)} at axis ${a.axis}`);
      }
      return { dtype: u!.dtype, shape: [...s.slice(0, a.axis), a.size, ...s.slice(a.axis + r)] };
    },
    interpret: ([u, idx], a, out, wide) => {
      const o = nd(out.dtype, out.shape, undefined, wide);
      const outer = sizeOf(out.shape.slice(0, a.axis));
      const inner = sizeOf(out.shape.slice(a.axis + 1));
      const m = idx!.data.length;
      for (let p = 0; p < outer; p++) {
        for (let j = 0; j < m; j++) {
          const k = idx!.data[j]!;
          if (k < 0 || k >= a.size) throw new GraftError(`scatter_add: index ${k} is out of range [0, ${a.size})`, "index");
          for (let q = 0; q < inner; q++) o.data[(p * a.size + k) * inner + q]! += u!.data[(p * m + j) * inner + q]!;
        }
      }
      return o;
    },
    vjp: ({ b, x: [, idx], dy, attrs }) => [b.emit("gather", [dy, idx!], { axis: attrs.axis }), null],
    js: { kernel: "scatter_add" },
    // tf has no scatter-add along an axis; the tfjs runtime helper builds it from scatterND
    tfjs: ([u, i], a) => `rt.scatterAdd(${u}, ${i}, ${a.axis}, ${a.size})`,
    // ScatterND with reduction "add" scatters along leading axes: view updates as [pre, m, post],
    // move the m index rows first, scatter into zeros [size, pre, post], and move the axis back
    onnx: (e, [u, i], a, ctx) => {
      const s = ctx.ins[0]!.shape;
      const r = ctx.ins[1]!.shape.length;
      const pre = sizeOf(s.slice(0, a.axis)), m = sizeOf(ctx.ins[1]!.shape), post = sizeOf(s.slice(a.axis + r));
      const rows = e.node("Transpose", [e.node("Reshape", [u!, e.ints([pre, m, post])])], { perm: { ints: [1, 0, 2] } });
      const idx = e.node("Reshape", [e.node("Cast", [i!], { to: { i: 7 } }), e.ints([m, 1])]);
      const zeros = e.node("Expand", [e.constant(ctx.out.dtype, [], [0]), e.ints([a.size, pre, post])]);
      const summed = e.node("ScatterND", [zeros, idx, rows], { reduction: { s: "add" } });
      return e.node("Reshape", [e.node("Transpose", [summed], { perm: { ints: [1, 0, 2] } }), e.ints(ctx.out.shape)]);
    },
  }),
} as const;
