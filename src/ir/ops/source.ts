/** @file Sources: constants, iota, and counter-based random numbers (pure functions of a key). */
import { DTypeError, ShapeError } from "../errors.js";
import { parseDType, tfjsDType, type DType } from "../dtype.js";
import { shapeStr, sizeOf, stridesOf, type Shape } from "../shape.js";
import { nd } from "../ndarray.js";
import { fillNormal, fillUniform } from "../random.js";
import type { TensorType } from "../graph.js";
import { defineOp } from "./def.js";
import type { ConstAttrs, RandomAttrs } from "./names.js";


const jsNum = (x: number): string => (Object.is(x, -0) ? "-0" : String(x));

export const constAttrs = (dtype: DType, shape: Shape, value: readonly number[]): ConstAttrs => ({ dtype, shape: [...shape], value: [...value] });

const typeOf = (op: string, dtype: string, shape: readonly number[]): TensorType => {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(`${op}: bad shape ${shapeStr(shape)}`);
  return { dtype: parseDType(dtype), shape: [...shape] };
};


function randomOp(name: string, fill: typeof fillUniform, tf: string) {
  return defineOp<RandomAttrs>({
    kind: "random",
    arity: 1,
    attrs: { dtype: "dtype", shape: "ints" },
    defaults: { dtype: "f32" },
    infer: ([key], a) => {
      if (key!.dtype !== "i32" || key!.shape.length !== 1 || key!.shape[0] !== 2) throw new DTypeError(`${name}: key must be i32[2], got ${key!.dtype}${shapeStr(key!.shape)}`);
      const t = typeOf(name, a.dtype, a.shape);
      if (t.dtype !== "f32" && t.dtype !== "f64") throw new DTypeError(`${name}: dtype must be f32 or f64, got ${t.dtype}`);
      return t;
    },
    interpret: ([key], _a, out, wide) => {
      const o = nd(out.dtype, out.shape, undefined, wide);
      fill(key!.data[0]!, key!.data[1]!, o.data);
      return o;
    },
    vjp: { zero: "random numbers do not depend on differentiable inputs" },
    js: { kernel: name as "random_uniform" | "random_normal" },
    // tfjs's own generators are not counter-based; the runtime helper reproduces graft's bits
    tfjs: ([key], a) => `rt.${tf}(${key}, ${JSON.stringify(a.shape)}, ${JSON.stringify(a.dtype)})`,
    // the same Threefry bits as every backend, computed on the host from the key
    onnx: (e) => e.hostInput(),
  });
}

export const sourceOps = {
  const: defineOp<ConstAttrs>({
    kind: "source",
    arity: 0,
    attrs: { dtype: "dtype", shape: "ints", value: "floats" },
    infer: (_i, a) => {
      const t = typeOf("const", a.dtype, a.shape);
      if (a.value.length !== 1 && a.value.length !== sizeOf(a.shape)) throw new ShapeError(`const: ${a.value.length} values for shape ${shapeStr(a.shape)}`);
      return t;
    },
    interpret: (_i, a, out, wide) => nd(out.dtype, out.shape, a.value, wide),
    vjp: { zero: "constants have no inputs" },
    js: { kernel: "const" },
    // splats fill the shape; numbers print as JS literals (JSON.stringify writes NaN/Infinity as null)
    tfjs: (_i, a, ctx) => {
      const dt = JSON.stringify(tfjsDType(ctx.out.dtype));
      return a.value.length === 1
        ? `tf.fill(${JSON.stringify(a.shape)}, ${jsNum(a.value[0]!)}, ${dt})`
        : `tf.tensor([${a.value.map(jsNum).join(", ")}], ${JSON.stringify(a.shape)}, ${dt})`;
    },
    // a splat of a non-scalar shape is a scalar initializer expanded in the graph
    onnx: (e, _i, a) =>
      a.value.length === 1 && a.shape.length > 0 ? e.node("Expand", [e.constant(a.dtype, [], a.value), e.ints(a.shape)]) : e.constant(a.dtype, a.shape, a.value),
  }),
  // iota: element value = its index along `axis`
  iota: defineOp<{ dtype: DType; shape: readonly number[]; axis: number }>({
    kind: "source",
    arity: 0,
    attrs: { dtype: "dtype", shape: "ints", axis: "int" },
    infer: (_i, a) => {
      if (a.axis < 0 || a.axis >= a.shape.length) throw new ShapeError(`iota: axis ${a.axis} out of range for ${shapeStr(a.shape)}`);
      return typeOf("iota", a.dtype, a.shape);
    },
    interpret: (_i, a, out, wide) => {
      const o = nd(out.dtype, out.shape, undefined, wide);
      const st = stridesOf(a.shape)[a.axis]!;
      const n = a.shape[a.axis]!;
      for (let i = 0; i < o.data.length; i++) o.data[i] = Math.floor(i / st) % n;
      return o;
    },
    vjp: { zero: "iota has no inputs" },
    js: { kernel: "iota" },
    tfjs: (_i, a, ctx) => `rt.iota(${JSON.stringify(a.shape)}, ${a.axis}, ${JSON.stringify(ctx.out.dtype === "i32" ? "int32" : "float32")})`,
    onnx: (e, _i, a) => {
      const st = stridesOf(a.shape)[a.axis]!;
      const n = a.shape[a.axis]!;
      return e.constant(a.dtype, a.shape, Array.from({ length: sizeOf(a.shape) }, (_, i) => Math.floor(i / st) % n));
    },
  }),
  random_uniform: randomOp("random_uniform", fillUniform, "randomUniform"),
  random_normal: randomOp("random_normal", fillNormal, "randomNormal"),
} as const;

/** Const attributes holding an array's data (splatted when every element is equal). */
export function constAttrsOf(a: { dtype: DType; shape: Shape; data: ArrayLike<number> }): ConstAttrs {
  const d = a.data;
  let same = d.length > 0;
  for (let i = 1; same && i < d.length; i++) same = Object.is(d[i], d[0]);
  return constAttrs(a.dtype, a.shape, same ? [d[0]!] : Array.from(d));
}
