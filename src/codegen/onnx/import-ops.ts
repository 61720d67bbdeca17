/** @file How each supported ONNX op (opset <= 17 semantics) is written with graft's IR builder, for importONNX. */
import { broadcastShapes, ShapeError, UsageError, type Builder, type DType, type OpName, type Value } from "../../ir/index.js";
import type { AttrMsg, NodeMsg, TensorMsg } from "./proto.js";

export interface ImportCtx {
  readonly b: Builder;
  readonly node: NodeMsg;
  /** The i-th input as a graft value (undefined when absent). */
  input(i: number): Value | undefined;
  /** The i-th input's values, which must be a constant (shapes, axes, bounds). */
  ints(i: number): number[] | undefined;
  attr(name: string): AttrMsg | undefined;
  /** A constant from a tensor (the Constant op). */
  constant(t: TensorMsg): Value;
}
type Importer = (c: ImportCtx) => Value | Value[];

const x0 = (c: ImportCtx): Value => c.input(0)!;
const int = (c: ImportCtx, k: string, dflt: number): number => (c.attr(k)?.i ?? dflt);
const ints = (c: ImportCtx, k: string): number[] | undefined => c.attr(k)?.ints?.map(Number);
const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);
const sortedAxes = (axes: readonly number[], rank: number): number[] => [...new Set(axes.map((a) => normAxis(a, rank)))].sort((p, q) => p - q);

const un = (op: OpName): Importer => (c) => c.b.emit(op, [x0(c)]);
const bin = (op: OpName): Importer => (c) => c.b.emit(op, [x0(c), c.input(1)!]);
/** Max/Min/Sum take any number of inputs. */
const fold = (op: OpName): Importer => (c) => c.node.input.slice(1).reduce((acc, _n, i) => c.b.emit(op, [acc, c.input(i + 1)!]), x0(c));

function reduce(op: OpName, axesFromInput: boolean): Importer {
  return (c) => {
    const x = x0(c);
    const keep = int(c, "keepdims", 1) === 1;
    const given = axesFromInput ? c.ints(1) : ints(c, "axes");
    if (!given?.length && int(c, "noop_with_empty_axes", 0) === 1) return x;
    const axes = given?.length ? sortedAxes(given, x.shape.length) : [...x.shape.keys()];
    return c.b.emit(op, [x], { axes, keepDims: keep });
  };
}

const TO: Readonly<Record<number, DType>> = { 1: "f32", 6: "i32", 7: "i32", 9: "bool", 11: "f64" };

function softmax(c: ImportCtx, log: boolean): Value {
  const { b } = c;
  const x = x0(c);
  const axis = normAxis(int(c, "axis", -1), x.shape.length);
  const shifted = b.o.sub(x, b.emit("max", [x], { axes: [axis], keepDims: true }));
  const s = b.emit("sum", [b.o.exp(shifted)], { axes: [axis], keepDims: true });
  return log ? b.o.sub(shifted, b.o.log(s)) : b.o.div(b.o.exp(shifted), s);
}

export const IMPORTERS: Readonly<Record<string, Importer>> = {
  Identity: x0,
  Neg: un("neg"), Exp: un("exp"), Log: un("log"), Sqrt: un("sqrt"), Abs: un("abs"), Sign: un("sign"), Tanh: un("tanh"),
  Sigmoid: un("sigmoid"), Relu: un("relu"), Sin: un("sin"), Cos: un("cos"), Floor: un("floor"), Not: un("logical_not"),
  Reciprocal: (c) => c.b.o.div(1, x0(c)),
  Add: bin("add"), Sub: bin("sub"), Mul: bin("mul"), Pow: bin("pow"),
  Div: (c) => {
    if (x0(c).dtype === "i32") throw new UsageError("Div on integers truncates in ONNX and floors in graft; cast to float first");
    return c.b.o.div(x0(c), c.input(1)!);
  },
  Max: fold("maximum"), Min: fold("minimum"), Sum: fold("add"),
  Equal: bin("equal"), Less: bin("less"), LessOrEqual: bin("less_equal"), Greater: bin("greater"), GreaterOrEqual: bin("greater_equal"),
  And: bin("logical_and"), Or: bin("logical_or"),
  Where: (c) => c.b.o.where(x0(c), c.input(1)!, c.input(2)!),
  Cast: (c) => {
    const to = TO[int(c, "to", 0)];
    if (!to) throw new UsageError(`Cast to element type ${int(c, "to", 0)}, which graft does not have`);
    return to === x0(c).dtype ? x0(c) : c.b.emit("cast", [x0(c)], { dtype: to });
  },
  Constant: (c) => {
    const t = c.attr("value")?.t;
    if (!t) throw new UsageError("Constant: only the `value` (tensor) form is supported");
    return c.constant(t);
  },
  ReduceSum: reduce("sum", true), ReduceMean: reduce("mean", false), ReduceMax: reduce("max", false), ReduceMin: reduce("min", false), ReduceProd: reduce("prod", false),
  ArgMax: (c) => {
    const x = x0(c);
    if (int(c, "select_last_index", 0)) throw new UsageError("ArgMax: select_last_index=1 is not supported (graft takes the first maximum)");
    const axis = normAxis(int(c, "axis", 0), x.shape.length);
    const r = c.b.emit("argmax", [x], { axis });
    return int(c, "keepdims", 1) ? c.b.emit("reshape", [r], { shape: x.shape.map((d, i) => (i === axis ? 1 : d)) }) : r;
  },
  Reshape: (c) => {
    const x = x0(c);
    const spec = c.ints(1)!;
    const known = spec.map((d, i) => (d === 0 && !int(c, "allowzero", 0) ? x.shape[i]! : d));
    const total = x.shape.reduce((a, d) => a * d, 1);
    const rest = known.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
    return c.b.emit("reshape", [x], { shape: known.map((d) => (d === -1 ? total / rest : d)) });
  },
  Transpose: (c) => c.b.emit("transpose", [x0(c)], { perm: ints(c, "perm") ?? [...x0(c).shape.keys()].reverse() }),
  Expand: (c) => c.b.emit("broadcast_to", [x0(c)], { shape: broadcastShapes(x0(c).shape, c.ints(1)!, "Expand") }),
  Slice: (c) => {
    const x = x0(c);
    const r = x.shape.length;
    const starts = c.ints(1)!, ends = c.ints(2)!;
    const axes = c.ints(3) ?? [...starts.keys()];
    if ((c.ints(4) ?? []).some((s) => s !== 1)) throw new UsageError("Slice: only step 1 is supported");
    const begin = x.shape.map(() => 0), size = [...x.shape];
    axes.forEach((a0, k) => {
      const a = normAxis(a0, r), d = x.shape[a]!;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      begin[a] = clamp(starts[k]!);
      size[a] = Math.max(0, clamp(ends[k]!) - begin[a]!);
    });
    return c.b.emit("slice", [x], { begin, size });
  },
  Pad: (c) => {
    const x = x0(c);
    const mode = c.attr("mode")?.s;
    if (mode && new TextDecoder().decode(mode) !== "constant") throw new UsageError("Pad: only mode=constant is supported");
    if (c.input(2) && (c.ints(2) ?? [0]).some((v) => v !== 0)) throw new UsageError("Pad: only a zero constant_value is supported");
    if (c.node.input[3]) throw new UsageError("Pad: the axes input is not supported");
    const pads = c.ints(1)!, r = x.shape.length;
    if (pads.some((p) => p < 0)) throw new ShapeError("Pad: negative pads are not supported");
    return c.b.emit("pad", [x], { before: pads.slice(0, r), after: pads.slice(r) });
  },
  Concat: (c) => c.b.emit("concat", c.node.input.map((_, i) => c.input(i)!), { axis: normAxis(int(c, "axis", 0), x0(c).shape.length) }),
  MatMul: (c) => {
    if (x0(c).shape.length < 2 || c.input(1)!.shape.length < 2) throw new ShapeError("MatMul: 1-D operands are not supported (reshape them to 2-D)");
    return c.b.emit("matmul", [x0(c), c.input(1)!]);
  },
  Gemm: (c) => {
    const { b } = c;
    let y = b.emit("matmul", [x0(c), c.input(1)!], { transposeA: !!int(c, "transA", 0), transposeB: !!int(c, "transB", 0) });
    const alpha = c.attr("alpha")?.f ?? 1, beta = c.attr("beta")?.f ?? 1;
    if (alpha !== 1) y = b.o.mul(y, alpha);
    const bias = c.input(2);
    return bias ? b.o.add(y, beta === 1 ? bias : b.o.mul(bias, beta)) : y;
  },
  Gather: (c) => c.b.emit("gather", [x0(c), c.input(1)!], { axis: normAxis(int(c, "axis", 0), x0(c).shape.length) }),
  // ScatterND with reduction add and one index column: data + scatter_add(updates) along axis 0
  ScatterND: (c) => {
    const data = x0(c), idx = c.input(1)!, upd = c.input(2)!;
    const red = c.attr("reduction")?.s;
    if (!red || new TextDecoder().decode(red) !== "add" || idx.shape.at(-1) !== 1) throw new UsageError("ScatterND: only reduction=add with one index column is supported");
    const flat = c.b.emit("reshape", [idx], { shape: idx.shape.slice(0, -1) });
    return c.b.o.add(data, c.b.emit("scatter_add", [upd, flat], { axis: 0, size: data.shape[0]! }));
  },
  Softmax: (c) => softmax(c, false),
  LogSoftmax: (c) => softmax(c, true),
};
