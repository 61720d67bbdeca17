/** @file Reductions over axes (sum, mean, max, min, prod) and argmax. */
import { DTypeError, ShapeError } from "../errors.js";
import { normAxes, normAxis, sizeOf, stridesOf, type Shape } from "../shape.js";
import { nd, type NDArray } from "../ndarray.js";
import type { TensorType, Value } from "../graph.js";
import { defineOp, type GradCtx, type OnnxRule, type OpDef, type VjpRule } from "./def.js";
import { expandReduced, keptShape } from "./helpers.js";
import type { ReduceAttrs } from "./names.js";


function reducedShape(inShape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? keptShape(inShape, axes) : inShape.filter((_, i) => !axes.includes(i));
}

function checkAxes(op: string, x: TensorType, axes: readonly number[]): void {
  const norm = normAxes(axes, x.shape.length, op);
  if (norm.some((a, i) => a !== axes[i])) throw new ShapeError(`${op}: axes [${axes.join(",")}] must be non-negative and sorted in IR (the DSL normalizes them)`);
}

/** Folds every input element into its output slot; `finish` sees the count per slot. */
function reduceInto(x: NDArray, axes: readonly number[], out: NDArray, init: number, f: (acc: number, v: number) => number, finish?: (acc: number, n: number) => number): NDArray {
  // accumulate in doubles: an Int32Array cannot hold max's -Infinity identity (it would store 0),
  // and f32 partial sums would round at every step where tfjs and the js backend do not
  const od = new Float64Array(out.data.length);
  od.fill(init);
  const rank = x.shape.length;
  const kept = keptShape(x.shape, axes);
  const ks = stridesOf(kept);
  const outStride = x.shape.map((_, i) => (axes.includes(i) ? 0 : ks[i]!));
  const idx = new Int32Array(rank);
  let o = 0;
  for (let i = 0; i < x.data.length; i++) {
    od[o] = f(od[o]!, x.data[i]!);
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]!++;
      o += outStride[ax]!;
      if (idx[ax]! < x.shape[ax]!) break;
      o -= outStride[ax]! * x.shape[ax]!;
      idx[ax] = 0;
    }
  }
  if (finish) {
    const n = sizeOf(axes.map((a) => x.shape[a]!));
    for (let i = 0; i < od.length; i++) od[i] = finish(od[i]!, n);
  }
  out.data.set(od);
  return out;
}

interface ReduceSpec {
  readonly name: string;
  readonly init: number;
  readonly f: (acc: number, v: number) => number;
  readonly finish?: (acc: number, n: number) => number;
  readonly js: { init: string; combine: (acc: string, x: string) => string; finish?: (acc: string, n: string) => string };
  readonly tf: string;
  readonly vjp: VjpRule<ReduceAttrs>;
  /** Integer inputs are refused (mean: an i32 result would silently truncate; tfjs returns float32). */
  readonly floatOnly?: boolean;
  /** The ONNX Reduce* op (opset 17: ReduceSum takes its axes as an input, the others as an attribute). */
  readonly onnx: string;
}

/** An empty axis list reduces nothing in graft; in ONNX it would reduce everything. */
const onnxReduce = (op: string): OnnxRule<ReduceAttrs> => (e, [x], a) => {
  if (!a.axes.length) return e.node("Identity", [x!]);
  const keepdims = { i: a.keepDims ? 1 : 0 };
  return op === "ReduceSum" ? e.node(op, [x!, e.ints(a.axes)], { keepdims }) : e.node(op, [x!], { axes: { ints: a.axes }, keepdims });
};

function reduction(s: ReduceSpec): OpDef<ReduceAttrs> {
  return defineOp<ReduceAttrs>({
    kind: "reduce",
    arity: 1,
    attrs: { axes: "ints", keepDims: "bool" },
    defaults: { keepDims: false },
    infer: ([x], a) => {
      if (x!.dtype === "bool") throw new DTypeError(`${s.name}: expects a numeric tensor, got bool (cast it first)`);
      if (s.floatOnly && x!.dtype === "i32") throw new DTypeError(`${s.name}: expects a float tensor, got i32; cast it first (x.cast("f32")) so the result is not truncated`);
      checkAxes(s.name, x!, a.axes);
      return { dtype: x!.dtype, shape: reducedShape(x!.shape, a.axes, a.keepDims) };
    },
    interpret: ([x], a, out, wide) => reduceInto(x!, a.axes, nd(out.dtype, out.shape, undefined, wide), s.init, s.f, s.finish),
    vjp: s.vjp,
    js: { reduce: s.js },
    tfjs: ([x], a) => `tf.${s.tf}(${x}, ${JSON.stringify(a.axes)}, ${a.keepDims})`,
    onnx: onnxReduce(s.onnx),
  });
}

// For max/min: dx = dy * [x == y] / (number of ties), as TensorFlow.
const extremumVjp = ({ b, x: [x], y, dy, attrs }: GradCtx<ReduceAttrs>) => {
  const hit = b.emit("cast", [b.o.equal(x!, expandReduced(b, y, x!.shape, attrs.axes))], { dtype: x!.dtype });
  const ties = b.emit("sum", [hit], { axes: attrs.axes, keepDims: true });
  return [b.o.div(b.o.mul(hit, expandReduced(b, dy, x!.shape, attrs.axes)), ties)];
};

/**
 * d prod / dx_i is the product of the other elements, computed without dividing by x_i, so exact
 * zeros get their true gradient instead of y / 0 = NaN. With nz = (x == 0 ? 1 : x), p = prod(nz),
 * z = the number of zeros in x_i's slice and s = their sum (0, but it carries their derivative):
 *   z = 0: p / nz_i;   z = 1: p at the zero, p / nz_i * s elsewhere;   z > 1: 0.
 * Every step is a differentiable op, so second order is exact with at most one zero per slice
 * (with several, first order is exact and the second-order terms between zeros are dropped).
 */
const prodVjp = ({ b, x: [x], dy, attrs }: GradCtx<ReduceAttrs>) => {
  const { shape } = x!, { axes } = attrs;
  const overSlice = (op: "prod" | "sum", v: Value): Value => expandReduced(b, b.emit(op, [v], { axes, keepDims: true }), shape, axes);
  const isZero = b.o.equal(x!, 0);
  const nz = b.o.where(isZero, 1, x!);
  const p = overSlice("prod", nz);
  const zeros = overSlice("sum", b.emit("cast", [isZero], { dtype: x!.dtype }));
  const others = b.o.div(p, nz);
  const oneZero = b.o.where(isZero, p, b.o.mul(others, overSlice("sum", b.o.where(isZero, x!, 0))));
  const g = b.o.where(b.o.equal(zeros, 0), others, b.o.where(b.o.equal(zeros, 1), oneZero, 0));
  return [b.o.mul(g, expandReduced(b, dy, shape, axes))];
};

export const reduceOps = {
  // d sum = dy broadcast back over the reduced axes
  sum: reduction({
    name: "sum", init: 0, f: (a, v) => a + v, js: { init: "0", combine: (a, x) => `${a} + ${x}` }, tf: "sum", onnx: "ReduceSum",
    vjp: ({ b, x: [x], dy, attrs }) => [expandReduced(b, dy, x!.shape, attrs.axes)],
  }),
  // d mean = dy / n broadcast back
  mean: reduction({
    name: "mean", floatOnly: true, init: 0, f: (a, v) => a + v, finish: (a, n) => a / n,
    js: { init: "0", combine: (a, x) => `${a} + ${x}`, finish: (a, n) => `${a} / ${n}` }, tf: "mean", onnx: "ReduceMean",
    vjp: ({ b, x: [x], dy, attrs }) => [b.o.div(expandReduced(b, dy, x!.shape, attrs.axes), sizeOf(attrs.axes.map((i) => x!.shape[i]!)))],
  }),
  max: reduction({ name: "max", init: -Infinity, f: (a, v) => (v > a || Number.isNaN(v) ? v : a), js: { init: "-Infinity", combine: (a, x) => `(${x} > ${a} || ${x} !== ${x} ? ${x} : ${a})` }, tf: "max", onnx: "ReduceMax", vjp: extremumVjp }),
  min: reduction({ name: "min", init: Infinity, f: (a, v) => (v < a || Number.isNaN(v) ? v : a), js: { init: "Infinity", combine: (a, x) => `(${x} < ${a} || ${x} !== ${x} ? ${x} : ${a})` }, tf: "min", onnx: "ReduceMin", vjp: extremumVjp }),
  prod: reduction({
    name: "prod", init: 1, f: (a, v) => a * v, js: { init: "1", combine: (a, x) => `${a} * ${x}` }, tf: "prod", onnx: "ReduceProd",
    vjp: prodVjp,
  }),
  argmax: defineOp<{ axis: number }>({
    kind: "reduce",
    arity: 1,
    attrs: { axis: "int" },
    infer: ([x], a) => {
      if (x!.dtype === "bool") throw new DTypeError(`argmax: expects a numeric tensor, got bool`);
      if (normAxis(a.axis, x!.shape.length, "argmax") !== a.axis) throw new ShapeError(`argmax: axis ${a.axis} must be non-negative in IR`);
      return { dtype: "i32", shape: x!.shape.filter((_, i) => i !== a.axis) };
    },
    interpret: ([x], a, out) => {
      const o = nd("i32", out.shape);
      const n = x!.shape[a.axis]!;
      const inner = sizeOf(x!.shape.slice(a.axis + 1));
      for (let i = 0; i < o.data.length; i++) {
        const base = Math.floor(i / inner) * n * inner + (i % inner);
        let best = 0;
        for (let k = 1; k < n; k++) if (x!.data[base + k * inner]! > x!.data[base + best * inner]!) best = k;
        o.data[i] = best;
      }
      return o;
    },
    vjp: { zero: "argmax returns integer indices" },
    js: { kernel: "argmax" },
    tfjs: ([x], a) => `tf.argMax(${x}, ${a.axis})`,
    // ONNX ArgMax gives int64 and, like graft, the first index among ties
    onnx: (e, [x], a) => e.node("Cast", [e.node("ArgMax", [x!], { axis: { i: a.axis }, keepdims: { i: 0 } })], { to: { i: 6 } }),
  }),
} as const;
