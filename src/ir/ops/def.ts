/** @file What one primitive declares: kind, arity, attributes, inference, interpreter, VJP and lowerings. */
import type { DType } from "../dtype.js";
import type { Builder, Graph, TensorType, Value } from "../graph.js";
import type { NDArray } from "../ndarray.js";

/** Passes branch on kind (and flags), never on op names. */
export type OpKind =
  | "elementwise" // pointwise with broadcasting; fusable into loops
  | "reduce" // reduces axes; may absorb elementwise producers
  | "movement" // reshape/transpose/broadcast/slice/concat/pad: moves data, no math
  | "contract" // matmul
  | "index" // gather/scatter-add
  | "source" // constants and iota: no inputs
  | "random" // counter-based random numbers: pure functions of a key
  | "region" // a node with a body graph (fused kernels, gradient markers)
  | "barrier"; // stop_gradient: identity that autodiff treats specially

export type AttrType = "int" | "ints" | "bool" | "float" | "floats" | "dtype" | "string";
export type AttrSchema<A> = { readonly [K in keyof A]: AttrType };

/** What a VJP rule sees: the builder to write gradient IR with, the forward node, and dy. */
export interface GradCtx<A> {
  readonly b: Builder;
  readonly x: readonly Value[];
  readonly y: Value;
  readonly dy: Value;
  readonly attrs: A;
  /** The node's body, for ops whose rule is a graph (custom_grad). */
  readonly body?: Graph;
}

/**
 * A VJP rule returns one cotangent per input (null: none flows there). A cotangent may have
 * the output's broadcast shape: autodiff sums it back to the input's shape.
 */
export type VjpRule<A> = (g: GradCtx<A>) => readonly (Value | null)[];

/** The derivative is zero almost everywhere (floor, sign, comparisons): nothing flows back. */
export interface ZeroGrad {
  readonly zero: string;
}

/** Differentiating through this op is an error; the reason is shown to the user. */
export interface NoGrad {
  readonly none: string;
}

/** Hand-written JS kernels the js backend must provide (a missing one is a compile error there). */
export type JsKernel = "matmul" | "reshape" | "transpose" | "broadcast_to" | "slice" | "pad" | "concat" | "gather" | "scatter_add" | "argmax" | "const" | "iota" | "random_uniform" | "random_normal" | "region";

export type JsLowering<A> =
  /** An expression template over input expressions, for fused loops. */
  | { readonly expr: (args: readonly string[], attrs: A, ctx: LowerCtx) => string }
  /** A reduction: `init`, `combine(acc, x)`, then `finish(acc, count)`. */
  | { readonly reduce: { readonly init: string; readonly combine: (acc: string, x: string) => string; readonly finish?: (acc: string, count: string) => string } }
  | { readonly kernel: JsKernel };

/** Context a lowering may use: input and output types. */
export interface LowerCtx {
  readonly ins: readonly TensorType[];
  readonly out: TensorType;
}
/** What a tfjs lowering may also use: the target backend's way to broadcast a runtime tensor. */
export interface TfjsLowerCtx extends LowerCtx {
  /** An expression broadcasting `x` to `shape`, where the backend has a faster one than tf.broadcastTo (wasm: its Tile is slow). */
  readonly broadcast?: (x: string, dtype: DType, shape: readonly number[]) => string;
}
/** Returns a JS expression calling TensorFlow.js (`tf.*`) on the input expressions. */
export type TfjsLowering<A> = (args: readonly string[], attrs: A, ctx: TfjsLowerCtx) => string;

/**
 * ONNX: a lowering describes nodes abstractly (op type, inputs, attributes, extra initializers)
 * through this emitter; src/codegen/onnx turns them into protobuf. Values are named by strings.
 */
export type OnnxAttr =
  | { readonly i: number }
  | { readonly ints: readonly number[] }
  | { readonly f: number }
  | { readonly s: string };
/** Element types a lowering may make constants of: graft's, plus i64 (ONNX shapes and axes). */
export type OnnxDType = DType | "i64";
export interface OnnxEmitter {
  /** Adds a node of the default ONNX domain; returns its (first) output's name. */
  node(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, OnnxAttr>>): string;
  /** An extra initializer (a constant tensor); returns its name. */
  constant(dtype: OnnxDType, shape: readonly number[], values: ArrayLike<number>): string;
  /** An i64 vector initializer (shapes, axes, slice bounds). */
  ints(values: readonly number[]): string;
  /**
   * The op's value is computed on the host and fed in as a graph input (random bits: ONNX opset
   * 17 has no bitwise xor to run Threefry in the graph, so the exact bits come from graft's own).
   */
  hostInput(): string;
}
/** What an ONNX lowering sees: the emitter, the input names, attributes and types; returns the output name. */
export type OnnxRule<A> = (e: OnnxEmitter, ins: readonly string[], attrs: A, ctx: LowerCtx) => string;
/** No ONNX form; the reason is shown when a graph with the op is exported. */
export interface NoOnnx {
  readonly none: string;
}
export type OnnxLowering<A> = OnnxRule<A> | NoOnnx;

export interface OpDef<A = {}> {
  readonly kind: OpKind;
  readonly arity: number | "variadic";
  readonly attrs: AttrSchema<A>;
  /** Attribute values used when the caller leaves them out. */
  readonly defaults?: Partial<A>;
  /** Checks the inputs and returns the output type(s); throws ShapeError/DTypeError. */
  readonly infer: (ins: readonly TensorType[], attrs: A, body?: Graph) => TensorType | TensorType[];
  /** The reference semantics. `wide` stores f32 as f64 (the interpreter's float64 mode). */
  readonly interpret: (ins: readonly NDArray[], attrs: A, out: TensorType, wide: boolean) => NDArray;
  readonly vjp: VjpRule<A> | ZeroGrad | NoGrad;
  readonly js: JsLowering<A>;
  readonly tfjs: TfjsLowering<A>;
  /** How the op is written in ONNX (opset 17), or why it cannot be. */
  readonly onnx: OnnxLowering<A>;
  /** Algebraic facts passes may use. */
  readonly flags?: {
    readonly commutative?: boolean;
    readonly associative?: boolean;
    readonly idempotent?: boolean;
    /** The result is always an operand, its negation or its magnitude (or -1/0/1, or an integer part):
     * representable in the operands' float dtype, so a backend computing in doubles need not round it. */
    readonly exact?: boolean;
  };
}

/** Lets an op file declare a def with its attrs type inferred from the schema literal. */
export const defineOp = <A>(d: OpDef<A>): OpDef<A> => d;
