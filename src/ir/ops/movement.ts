/** @file Data movement: reshape, transpose, broadcast_to, slice, pad, concat. No arithmetic. */
import { ShapeError } from "../errors.js";
import { broadcastShapes, sameShape, shapeStr, sizeOf, stridesOf, type Shape } from "../shape.js";
import { forEachBroadcast, nd, type NDArray } from "../ndarray.js";
import { promote } from "../dtype.js";
import type { TensorType } from "../graph.js";
import { defineOp } from "./def.js";
import { sumToShape } from "./helpers.js";

const copyOf = (x: NDArray, shape: Shape, out: TensorType, wide: boolean): NDArray => nd(out.dtype, shape, x.data, wide);

/** Visits every element of `shape` with its multi-index (slow path for the reference semantics). */
function forEachIndex(shape: Shape, visit: (idx: readonly number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    visit(idx, f);
    for (let ax = shape.length - 1; ax >= 0; ax--) {
      if (++idx[ax]! < shape[ax]!) break;
      idx[ax] = 0;
    }
  }
}

const offsetOf = (idx: readonly number[], strides: readonly number[]): number => idx.reduce((s, i, k) => s + i * strides[k]!, 0);

export const movementOps = {
  // d reshape = reshape back
  reshape: defineOp<{ shape: readonly number[] }>({
    kind: "movement",
    arity: 1,
    attrs: { shape: "ints" },
    infer: ([x], a) => {
      if (a.shape.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(a.shape) !== sizeOf(x!.shape)) {
        throw new ShapeError(`reshape: cannot reshape ${x!.dtype}${shapeStr(x!.shape)} (${sizeOf(x!.shape)} elements) to ${shapeStr(a.shape)}`);
      }
      return { dtype: x!.dtype, shape: [...a.shape] };
    },
    interpret: ([x], a, out, wide) => copyOf(x!, a.shape, out, wide),
    vjp: ({ b, x: [x], dy }) => [b.emit("reshape", [dy], { shape: [...x!.shape] })],
    js: { kernel: "reshape" },
    tfjs: ([x], a) => `tf.reshape(${x}, ${JSON.stringify(a.shape)})`,
    onnx: (e, [x], a) => e.node("Reshape", [x!, e.ints(a.shape)]),
  }),
  // d transpose = transpose by the inverse permutation
  transpose: defineOp<{ perm: readonly number[] }>({
    kind: "movement",
    arity: 1,
    attrs: { perm: "ints" },
    infer: ([x], a) => {
      const r = x!.shape.length;
      if (a.perm.length !== r || [...a.perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
        throw new ShapeError(`transpose: perm [${a.perm.join(",")}] is not a permutation of the ${r} axes of ${shapeStr(x!.shape)}`);
      }
      return { dtype: x!.dtype, shape: a.perm.map((p) => x!.shape[p]!) };
    },
    interpret: ([x], a, out, wide) => {
      const o = nd(out.dtype, out.shape, undefined, wide);
      const st = stridesOf(x!.shape);
      const pst = a.perm.map((p) => st[p]!);
      forEachIndex(out.shape, (idx, f) => (o.data[f] = x!.data[offsetOf(idx, pst)]!));
      return o;
    },
    vjp: ({ b, dy, attrs }) => {
      const inv = new Array<number>(attrs.perm.length);
      attrs.perm.forEach((p, i) => (inv[p] = i));
      return [b.emit("transpose", [dy], { perm: inv })];
    },
    js: { kernel: "transpose" },
    tfjs: ([x], a) => `tf.transpose(${x}, ${JSON.stringify(a.perm)})`,
    onnx: (e, [x], a) => e.node("Transpose", [x!], { perm: { ints: a.perm } }),
  }),
  // d broadcast_to = sum over the broadcast axes
  broadcast_to: defineOp<{ shape: readonly number[] }>({
    kind: "movement",
    arity: 1,
    attrs: { shape: "ints" },
    infer: ([x], a) => {
      const s = broadcastShapes(x!.shape, a.shape, "broadcast_to");
      if (!sameShape(s, a.shape)) throw new ShapeError(`broadcast_to: cannot broadcast ${shapeStr(x!.shape)} to ${shapeStr(a.shape)}`);
      return { dtype: x!.dtype, shape: [...a.shape] };
    },
    interpret: ([x], _a, out, wide) => {
      const o = nd(out.dtype, out.shape, undefined, wide);
      forEachBroadcast(out.shape, [x!.shape], (f, offs) => (o.data[f] = x!.data[offs[0]!]!));
      return o;
    },
    vjp: ({ b, x: [x], dy }) => [sumToShape(b, dy, x!.shape)],
    js: { kernel: "broadcast_to" },
    tfjs: ([x], a, ctx) => ctx.broadcast?.(x!, ctx.out.dtype, a.shape) ?? `tf.broadcastTo(${x}, ${JSON.stringify(a.shape)})`,
    onnx: (e, [x], a) => e.node("Expand", [x!, e.ints(a.shape)]),
  }),
  // d slice = pad the cotangent with zeros back to the input's shape
  slice: defineOp<{ begin: readonly number[]; size: readonly number[] }>({
    kind: "movement",
    arity: 1,
    attrs: { begin: "ints", size: "ints" },
    infer: ([x], a) => {
      const s = x!.shape;
      if (a.begin.length !== s.length || a.size.length !== s.length || s.some((d, i) => a.begin[i]! < 0 || a.size[i]! < 0 || a.begin[i]! + a.size[i]! > d)) {
        throw new ShapeError(`slice: begin ${shapeStr(a.begin)} size ${shapeStr(a.size)} is out of bounds for ${shapeStr(s)}`);
      }
      return { dtype: x!.dtype, shape: [...a.size] };
    },
    interpret: ([x], a, out, wide) => {
      const o = nd(out.dtype, out.shape, undefined, wide);
      const st = stridesOf(x!.shape);
      const base = offsetOf(a.begin, st);
      forEachIndex(out.shape, (idx, f) => (o.data[f] = x!.data[base + offsetOf(idx, st)]!));
      return o;
    },
    vjp: ({ b, x: [x], dy, attrs }) => [
      b.emit("pad", [dy], { before: [...attrs.begin], after: x!.shape.map((d, i) => d - attrs.begin[i]! - attrs.size[i]!) }),
    ],
    js: { kernel: "slice" },
    tfjs: ([x], a) => `tf.slice(${x}, ${JSON.stringify(a.begin)}, ${JSON.stringify(a.size)})`,
    onnx: (e, [x], a) => e.node("Slice", [x!, e.ints(a.begin), e.ints(a.begin.map((b, i) => b + a.size[i]!)), e.ints([...a.begin.keys()])]),
  }),
  // d pad = slice the padded region away
  pad: defineOp<{ before: readonly number[]; after: readonly number[] }>({
    kind: "movement",
    arity: 1,
    attrs: { before: "ints", after: "ints" },
    infer: ([x], a) => {
      const s = x!.shape;
      if (a.before.length !== s.length || a.after.length !== s.length || [...a.before, ...a.after].some((p) => !Number.isInteger(p) || p < 0)) {
        throw new ShapeError(`pad: before ${shapeStr(a.before)} after ${shapeStr(a.after)} do not fit ${shapeStr(s)}`);
      }
      return { dtype: x!.dtype, shape: s.map((d, i) => d + a.before[i]! + a.after[i]!) };
    },
    interpret: ([x], a, out, wide) => {
      const o = nd(out.dtype, out.shape, undefined, wide);
      const ost = stridesOf(out.shape);
      const base = offsetOf(a.before, ost);
      forEachIndex(x!.shape, (idx, f) => (o.data[base + offsetOf(idx, ost)] = x!.data[f]!));
      return o;
    },
    vjp: ({ b, x: [x], dy, attrs }) => [b.emit("slice", [dy], { begin: [...attrs.before], size: [...x!.shape] })],
    js: { kernel: "pad" },
    tfjs: ([x], a) => `tf.pad(${x}, ${JSON.stringify(a.before.map((p, i) => [p, a.after[i]]))})`,
    // ONNX pads are [begin_0, ..., begin_n, end_0, ..., end_n]; constant mode pads with zeros
    onnx: (e, [x], a) => e.node("Pad", [x!, e.ints([...a.before, ...a.after])]),
  }),
  // d concat = the matching slice of the cotangent for each input
  concat: defineOp<{ axis: number }>({
    kind: "movement",
    arity: "variadic",
    attrs: { axis: "int" },
    infer: (ins, a) => {
      if (ins.length === 0) throw new ShapeError("concat: needs at least one input");
      const first = ins[0]!;
      if (!Number.isInteger(a.axis) || a.axis < 0 || a.axis >= first.shape.length) throw new ShapeError(`concat: axis ${a.axis} out of range for rank ${first.shape.length} (IR axes are non-negative)`);
      let dtype = first.dtype;
      let total = 0;
      for (const t of ins) {
        dtype = promote(dtype, t.dtype, "concat");
        if (t.dtype !== first.dtype) throw new ShapeError(`concat: inputs must share a dtype (${first.dtype} vs ${t.dtype})`);
        if (t.shape.length !== first.shape.length || t.shape.some((d, i) => i !== a.axis && d !== first.shape[i])) {
          throw new ShapeError(`concat: shapes ${ins.map((s) => shapeStr(s.shape)).join(", ")} differ off axis ${a.axis}`);
        }
        total += t.shape[a.axis]!;
      }
      return { dtype, shape: first.shape.map((d, i) => (i === a.axis ? total : d)) };
    },
    interpret: (ins, a, out, wide) => {
      const o = nd(out.dtype, out.shape, undefined, wide);
      const outer = sizeOf(out.shape.slice(0, a.axis));
      const inner = sizeOf(out.shape.slice(a.axis + 1));
      const rowOut = out.shape[a.axis]! * inner;
      let col = 0;
      for (const x of ins) {
        const row = x.shape[a.axis]! * inner;
        for (let i = 0; i < outer; i++) o.data.set(x.data.subarray(i * row, (i + 1) * row), i * rowOut + col);
        col += row;
      }
      return o;
    },
    vjp: ({ b, x, dy, attrs }) => {
      let start = 0;
      return x.map((t) => {
        const begin = t.shape.map((_, i) => (i === attrs.axis ? start : 0));
        start += t.shape[attrs.axis]!;
        return b.emit("slice", [dy], { begin, size: [...t.shape] });
      });
    },
    js: { kernel: "concat" },
    tfjs: (xs, a) => `tf.concat([${xs.join(", ")}], ${a.axis})`,
    onnx: (e, xs, a) => e.node("Concat", xs, { axis: { i: a.axis } }),
  }),
} as const;
