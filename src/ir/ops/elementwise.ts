/** @file Elementwise primitives (unary, binary with broadcasting, comparisons, logic, where, cast). */
import { DTypeError } from "../errors.js";
import { isFloat, parseDType, promote, type DType } from "../dtype.js";
import { broadcastShapes } from "../shape.js";
import { mapN, nd } from "../ndarray.js";
import type { TensorType, Value } from "../graph.js";
import { defineOp, type GradCtx, type OnnxEmitter, type OnnxRule, type OpDef } from "./def.js";

/** What dtypes an op takes: floats, any number (not bool), bool only, or any dtype (equality, selects). */
type Domain = "float" | "numeric" | "bool" | "any";

function checkDomain(op: string, d: DType, domain: Domain): void {
  const ok = domain === "any" || (domain === "float" ? isFloat(d) : domain === "numeric" ? d !== "bool" : d === "bool");
  if (!ok) throw new DTypeError(`${op}: expects ${domain === "numeric" ? "a numeric" : `a ${domain}`} tensor, got ${d}`);
}

interface UnarySpec {
  readonly name: string;
  readonly domain: Domain;
  readonly f: (x: number) => number;
  readonly js: (x: string) => string;
  readonly tf: string;
  readonly vjp: ((g: GradCtx<{}>) => Value) | { zero: string };
  /** See OpDef.flags.exact. */
  readonly exact?: true;
  /** The ONNX op of the same meaning, or a rule composing several. */
  readonly onnx: string | OnnxRule<{}>;
}

/** A one-node ONNX lowering by op type, or the spec's own rule. */
/** TensorProto.DataType codes of graft's dtypes. */
export const ONNX_TYPE: Readonly<Record<DType, number>> = { f32: 1, i32: 6, bool: 9, f64: 11 };

const onnxOf = (o: string | OnnxRule<{}>): OnnxRule<{}> => (typeof o === "string" ? (e, ins) => e.node(o, ins) : o);
/** A scalar of the op's input dtype, as an initializer. */
const scalar = (e: OnnxEmitter, dtype: DType, v: number): string => e.constant(dtype, [], [v]);

function unary(s: UnarySpec): OpDef<{}> {
  const vjp = s.vjp;
  return defineOp<{}>({
    kind: "elementwise",
    arity: 1,
    attrs: {},
    infer: ([x]) => (checkDomain(s.name, x!.dtype, s.domain), x!),
    interpret: ([x], _a, out, wide) => mapN(nd(out.dtype, out.shape, undefined, wide), [x!], s.f),
    vjp: typeof vjp === "function" ? (g) => [vjp(g)] : vjp,
    js: { expr: ([x]) => s.js(x!) },
    tfjs: ([x]) => `tf.${s.tf}(${x})`,
    ...(s.exact ? { flags: { exact: true } } : {}),
    onnx: onnxOf(s.onnx),
  });
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

export const unaryOps = {
  // d(-x) = -dx
  neg: unary({ name: "neg", exact: true, domain: "numeric", f: (x) => -x, js: (x) => `(-${x})`, tf: "neg", vjp: ({ b, dy }) => b.o.neg(dy), onnx: "Neg" }),
  // d(e^x) = e^x dx: reuses the forward output
  exp: unary({ name: "exp", domain: "float", f: Math.exp, js: (x) => `Math.exp(${x})`, tf: "exp", vjp: ({ b, y, dy }) => b.o.mul(dy, y), onnx: "Exp" }),
  // d(log x) = dx / x
  log: unary({ name: "log", domain: "float", f: Math.log, js: (x) => `Math.log(${x})`, tf: "log", vjp: ({ b, x, dy }) => b.o.div(dy, x[0]!), onnx: "Log" }),
  // d(sqrt x) = dx / (2 sqrt x)
  sqrt: unary({ name: "sqrt", domain: "float", f: Math.sqrt, js: (x) => `Math.sqrt(${x})`, tf: "sqrt", vjp: ({ b, y, dy }) => b.o.div(dy, b.o.mul(y, 2)), onnx: "Sqrt" }),
  // d(x^-1/2) = -1/2 x^-3/2 dx = -1/2 (y / x) dx
  rsqrt: unary({ name: "rsqrt", domain: "float", f: (x) => 1 / Math.sqrt(x), js: (x) => `(1 / Math.sqrt(${x}))`, tf: "rsqrt", vjp: ({ b, x, y, dy }) => b.o.mul(dy, b.o.div(b.o.mul(y, -0.5), x[0]!)), onnx: (e, [x]) => e.node("Reciprocal", [e.node("Sqrt", [x!])]) }),
  // d(x^2) = 2x dx
  square: unary({ name: "square", domain: "numeric", f: (x) => x * x, js: (x) => `(${x} * ${x})`, tf: "square", vjp: ({ b, x, dy }) => b.o.mul(dy, b.o.mul(x[0]!, 2)), onnx: (e, [x]) => e.node("Mul", [x!, x!]) }),
  // d|x| = sign(x) dx (0 at 0, as TensorFlow and JAX)
  abs: unary({ name: "abs", exact: true, domain: "numeric", f: Math.abs, js: (x) => `Math.abs(${x})`, tf: "abs", vjp: ({ b, x, dy }) => b.o.mul(dy, b.o.sign(x[0]!)), onnx: "Abs" }),
  sign: unary({ name: "sign", exact: true, domain: "numeric", f: Math.sign, js: (x) => `Math.sign(${x})`, tf: "sign", vjp: { zero: "sign is piecewise constant" }, onnx: "Sign" }),
  // d(tanh x) = (1 - tanh^2 x) dx
  tanh: unary({ name: "tanh", domain: "float", f: Math.tanh, js: (x) => `Math.tanh(${x})`, tf: "tanh", vjp: ({ b, y, dy }) => b.o.mul(dy, b.o.sub(1, b.o.square(y))), onnx: "Tanh" }),
  // d(sigmoid x) = s (1 - s) dx
  sigmoid: unary({ name: "sigmoid", domain: "float", f: sigmoid, js: (x) => `(1 / (1 + Math.exp(-${x})))`, tf: "sigmoid", vjp: ({ b, y, dy }) => b.o.mul(dy, b.o.mul(y, b.o.sub(1, y))), onnx: "Sigmoid" }),
  // d(relu x) = [x > 0] dx
  relu: unary({ name: "relu", exact: true, domain: "numeric", f: (x) => (x > 0 || x !== x ? x : 0), js: (x) => `Math.max(${x}, 0)`, tf: "relu", vjp: ({ b, x, dy }) => b.o.where(b.o.greater(x[0]!, 0), dy, 0), onnx: "Relu" }),
  // d(sin x) = cos x dx
  sin: unary({ name: "sin", domain: "float", f: Math.sin, js: (x) => `Math.sin(${x})`, tf: "sin", vjp: ({ b, x, dy }) => b.o.mul(dy, b.o.cos(x[0]!)), onnx: "Sin" }),
  // d(cos x) = -sin x dx
  cos: unary({ name: "cos", domain: "float", f: Math.cos, js: (x) => `Math.cos(${x})`, tf: "cos", vjp: ({ b, x, dy }) => b.o.neg(b.o.mul(dy, b.o.sin(x[0]!))), onnx: "Cos" }),
  // d(log(1+x)) = dx / (1+x)
  log1p: unary({ name: "log1p", domain: "float", f: Math.log1p, js: (x) => `Math.log1p(${x})`, tf: "log1p", vjp: ({ b, x, dy }) => b.o.div(dy, b.o.add(x[0]!, 1)), onnx: (e, [x], _a, c) => e.node("Log", [e.node("Add", [x!, scalar(e, c.out.dtype, 1)])]) }),
  // d(e^x - 1) = e^x dx = (y + 1) dx
  expm1: unary({ name: "expm1", domain: "float", f: Math.expm1, js: (x) => `Math.expm1(${x})`, tf: "expm1", vjp: ({ b, y, dy }) => b.o.mul(dy, b.o.add(y, 1)), onnx: (e, [x], _a, c) => e.node("Sub", [e.node("Exp", [x!]), scalar(e, c.out.dtype, 1)]) }),
  floor: unary({ name: "floor", exact: true, domain: "float", f: Math.floor, js: (x) => `Math.floor(${x})`, tf: "floor", vjp: { zero: "floor is piecewise constant" }, onnx: "Floor" }),
  logical_not: unary({ name: "logical_not", domain: "bool", f: (x) => (x ? 0 : 1), js: (x) => `(${x} ? 0 : 1)`, tf: "logicalNot", vjp: { zero: "boolean" }, onnx: "Not" }),
} as const;

interface BinarySpec {
  readonly name: string;
  readonly domain: Domain;
  /** Output dtype: the promoted input dtype, or bool for comparisons. */
  readonly out?: "bool";
  readonly f: (a: number, b: number) => number;
  readonly fInt?: (a: number, b: number) => number;
  readonly js: (a: string, b: string, intIn: boolean) => string;
  readonly tf: string;
  readonly tfInt?: string;
  readonly vjp: ((g: GradCtx<{}>) => readonly (Value | null)[]) | { zero: string };
  readonly commutative?: boolean;
  /** See OpDef.flags.exact. */
  readonly exact?: true;
  readonly onnx: string | OnnxRule<{}>;
}

function binaryType(name: string, domain: Domain, a: TensorType, b: TensorType, out?: "bool"): TensorType {
  const dtype = promote(a.dtype, b.dtype, name);
  checkDomain(name, dtype, domain);
  return { dtype: out ?? dtype, shape: broadcastShapes(a.shape, b.shape, name) };
}

function binary(s: BinarySpec): OpDef<{}> {
  return defineOp<{}>({
    kind: "elementwise",
    arity: 2,
    attrs: {},
    infer: ([a, b]) => binaryType(s.name, s.domain, a!, b!, s.out),
    interpret: ([a, b], _a, out, wide) =>
      mapN(nd(out.dtype, out.shape, undefined, wide), [a!, b!], a!.dtype === "i32" && s.fInt ? s.fInt : s.f),
    vjp: s.vjp,
    js: { expr: ([a, b], _a, ctx) => s.js(a!, b!, ctx.ins[0]!.dtype === "i32") },
    tfjs: ([a, b], _a, ctx) => `tf.${ctx.ins[0]!.dtype === "i32" && s.tfInt ? s.tfInt : s.tf}(${a}, ${b})`,
    onnx: onnxOf(s.onnx),
    ...(s.commutative || s.exact ? { flags: { ...(s.commutative ? { commutative: true, associative: s.name === "add" || s.name === "mul" } : {}), ...(s.exact ? { exact: true } : {}) } } : {}),
  });
}

/** Comparisons. Equality (`equality`) is commutative and also takes bools (x == y on bools is xnor); order comparisons take numbers. */
const cmp = (name: string, js: string, tf: string, f: (a: number, b: number) => boolean, onnx: string | OnnxRule<{}>, equality = false): OpDef<{}> =>
  binary({ name, domain: equality ? "any" : "numeric", out: "bool", f: (a, b) => (f(a, b) ? 1 : 0), js: (a, b) => `(${a} ${js} ${b} ? 1 : 0)`, tf, vjp: { zero: "comparison" }, commutative: equality, onnx });

/**
 * ONNX's integer Div truncates; graft's floors (as tf.div on int32). The quotient of two i32s is
 * exact after flooring in double (|a| < 2^31, so a/b is never within 2^-52 relative of the next
 * integer), hence Cast -> Div -> Floor -> Cast.
 */
const onnxDiv: OnnxRule<{}> = (e, [a, b], _a, c) => {
  if (c.out.dtype !== "i32") return e.node("Div", [a!, b!]);
  const d = (x: string) => e.node("Cast", [x], { to: { i: ONNX_TYPE.f64 } });
  const q = e.node("Cast", [e.node("Floor", [e.node("Div", [d(a!), d(b!)])])], { to: { i: ONNX_TYPE.i32 } });
  // x / 0 is 0 in graft's i32 arithmetic (the infinite quotient stored into an Int32Array); ORT's cast would give INT_MIN
  const zero = e.constant("i32", [], [0]);
  return e.node("Where", [e.node("Equal", [b!, zero]), zero, q]);
};

export const binaryOps = {
  add: binary({ name: "add", domain: "numeric", f: (a, b) => a + b, js: (a, b) => `(${a} + ${b})`, tf: "add", vjp: ({ dy }) => [dy, dy], commutative: true, onnx: "Add" }),
  sub: binary({ name: "sub", domain: "numeric", f: (a, b) => a - b, js: (a, b) => `(${a} - ${b})`, tf: "sub", vjp: ({ b, dy }) => [dy, b.o.neg(dy)], onnx: "Sub" }),
  // d(ab) = b da + a db
  mul: binary({ name: "mul", domain: "numeric", f: (a, b) => a * b, js: (a, b) => `(${a} * ${b})`, tf: "mul", vjp: ({ b, x, dy }) => [b.o.mul(dy, x[1]!), b.o.mul(dy, x[0]!)], commutative: true, onnx: "Mul" }),
  // d(a/b) = da / b - (a/b) db / b; integer division floors, as tf.div does on int32
  div: binary({
    name: "div", domain: "numeric", f: (a, b) => a / b, fInt: (a, b) => Math.floor(a / b),
    js: (a, b, int) => (int ? `Math.floor(${a} / ${b})` : `(${a} / ${b})`), tf: "div", tfInt: "floorDiv", onnx: onnxDiv,
    vjp: ({ b, x, y, dy }) => [b.o.div(dy, x[1]!), b.o.neg(b.o.div(b.o.mul(dy, y), x[1]!))],
  }),
  // d(a^b) = b a^(b-1) da + a^b log(a) db; the log term is 0 where a <= 0 (as TensorFlow)
  pow: binary({
    name: "pow", domain: "numeric", f: Math.pow, js: (a, b) => `Math.pow(${a}, ${b})`, tf: "pow", onnx: "Pow",
    vjp: ({ b, x: [p, q], y, dy }) => {
      const pos = b.o.greater(p!, 0);
      return [
        b.o.mul(dy, b.o.mul(q!, b.o.pow(p!, b.o.sub(q!, 1)))),
        b.o.mul(dy, b.o.mul(y, b.o.where(pos, b.o.log(b.o.where(pos, p!, 1)), 0))),
      ];
    },
  }),
  // ties send the gradient to the first operand, as TensorFlow
  maximum: binary({
    name: "maximum", domain: "numeric", exact: true, f: (a, b) => (a >= b || Number.isNaN(a) ? a : b), js: (a, b) => `Math.max(${a}, ${b})`, tf: "maximum", commutative: true, onnx: "Max",
    vjp: ({ b, x: [p, q], dy }) => { const m = b.o.greater_equal(p!, q!); return [b.o.where(m, dy, 0), b.o.where(m, 0, dy)]; },
  }),
  minimum: binary({
    name: "minimum", domain: "numeric", exact: true, f: (a, b) => (a <= b || Number.isNaN(a) ? a : b), js: (a, b) => `Math.min(${a}, ${b})`, tf: "minimum", commutative: true, onnx: "Min",
    vjp: ({ b, x: [p, q], dy }) => { const m = b.o.less_equal(p!, q!); return [b.o.where(m, dy, 0), b.o.where(m, 0, dy)]; },
  }),
  equal: cmp("equal", "===", "equal", (a, b) => a === b, "Equal", true),
  not_equal: cmp("not_equal", "!==", "notEqual", (a, b) => a !== b, (e, ins) => e.node("Not", [e.node("Equal", ins)]), true),
  less: cmp("less", "<", "less", (a, b) => a < b, "Less"),
  less_equal: cmp("less_equal", "<=", "lessEqual", (a, b) => a <= b, "LessOrEqual"),
  greater: cmp("greater", ">", "greater", (a, b) => a > b, "Greater"),
  greater_equal: cmp("greater_equal", ">=", "greaterEqual", (a, b) => a >= b, "GreaterOrEqual"),
  logical_and: binary({ name: "logical_and", domain: "bool", f: (a, b) => (a && b ? 1 : 0), js: (a, b) => `(${a} & ${b})`, tf: "logicalAnd", vjp: { zero: "boolean" }, commutative: true, onnx: "And" }),
  logical_or: binary({ name: "logical_or", domain: "bool", f: (a, b) => (a || b ? 1 : 0), js: (a, b) => `(${a} | ${b})`, tf: "logicalOr", vjp: { zero: "boolean" }, commutative: true, onnx: "Or" }),
} as const;

export const selectOps = {
  // d where(c, a, b) = (where(c, dy, 0), where(c, 0, dy)); the condition gets none
  where: defineOp<{}>({
    kind: "elementwise",
    arity: 3,
    attrs: {},
    infer: ([c, a, b]) => {
      if (c!.dtype !== "bool") throw new DTypeError(`where: condition must be bool, got ${c!.dtype}`);
      const t = binaryType("where", "any", a!, b!);
      return { dtype: t.dtype, shape: broadcastShapes(c!.shape, t.shape, "where") };
    },
    interpret: (ins, _a, out, wide) => mapN(nd(out.dtype, out.shape, undefined, wide), ins, (c, a, b) => (c ? a! : b!)),
    vjp: ({ b, x: [c], dy }) => [null, b.o.where(c!, dy, 0), b.o.where(c!, 0, dy)],
    js: { expr: ([c, a, b]) => `(${c} ? ${a} : ${b})` },
    flags: { exact: true },
    // bool branches go through int32: tfjs-wasm's Select writes 4-byte elements into a bool output
    // (wrong values, and a heap overrun); every backend takes int32
    tfjs: ([c, a, b], _a, ctx) =>
      ctx.out.dtype === "bool" ? `tf.cast(tf.where(${c}, tf.cast(${a}, "int32"), tf.cast(${b}, "int32")), "bool")` : `tf.where(${c}, ${a}, ${b})`,
    // ORT's CPU Where has no bool kernel: on bools, where(c, a, b) = (c and a) or (not c and b)
    onnx: (e, [c, a, b], _a, ctx) =>
      ctx.out.dtype === "bool" ? e.node("Or", [e.node("And", [c!, a!]), e.node("And", [e.node("Not", [c!]), b!])]) : e.node("Where", [c!, a!, b!]),
  }),
  // casts back on the way down; integer and bool sources get no gradient
  cast: defineOp<{ dtype: DType }>({
    kind: "elementwise",
    arity: 1,
    attrs: { dtype: "dtype" },
    infer: ([x], a) => ({ dtype: parseDType(a.dtype), shape: x!.shape }),
    interpret: ([x], a, out, wide) => {
      const to = parseDType(a.dtype);
      const f = to === "bool" ? (v: number) => (v !== 0 ? 1 : 0) : to === "i32" ? Math.trunc : (v: number) => v;
      return mapN(nd(out.dtype, out.shape, undefined, wide), [x!], f);
    },
    vjp: ({ b, x, dy }) => [isFloat(x[0]!.dtype) ? b.emit("cast", [dy], { dtype: x[0]!.dtype }) : null],
    js: { expr: ([x], a) => (a.dtype === "bool" ? `(${x} !== 0 ? 1 : 0)` : a.dtype === "i32" ? `(${x} | 0)` : x!) },
    // to bool is `x != 0`: tfjs-wasm's Cast to bool truncates to a byte (0.5 -> false, -2 -> 254)
    tfjs: ([x], a) => (a.dtype === "bool" ? `tf.notEqual(${x}, 0)` : `tf.cast(${x}, ${JSON.stringify(a.dtype === "i32" ? "int32" : "float32")})`),
    // ONNX Cast to bool is `x != 0` and float to int truncates, as graft's
    onnx: (e, [x], a) => e.node("Cast", [x!], { to: { i: ONNX_TYPE[parseDType(a.dtype)] } }),
  }),
} as const;
