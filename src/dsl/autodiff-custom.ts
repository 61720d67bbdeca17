/** @file `customGradient(f)`: a value whose VJP is a user-written function, traced into a `custom_grad` body.
 *
 * As in TensorFlow.js, `f(...inputs)` returns `{ value, gradFunc }` and `gradFunc(dy)` returns one
 * gradient per input. The gradFunc is traced at call time into a small graph
 * `(x1..xn, value, dy, c1..cm) -> (dx1..dxn)`; the `c`s are whatever else it closed over (tensors
 * of the step, variables, or eager tensors), passed in as extra operands so that the rule stays
 * ordinary IR the grad pass can inline, and differentiate again for higher orders.
 */
import { Builder, DTypeError, GradError, isFloat, sameShape, shapeStr, UsageError, type Graph, type Value } from "../ir/index.js";
import { expandGradients } from "../passes/grad.js";
import { Tensor } from "./tensor.js";
import { currentTrace, isVariable, Trace, withTrace } from "./trace.js";
import { userLoc } from "./loc.js";
import { cast } from "./ops.js";
import { zerosLike } from "./create.js";

export type GradFunc = (dy: Tensor) => Tensor | null | readonly (Tensor | null | undefined)[];
export type CustomGradientFn<A extends Tensor[]> = (...inputs: A) => { value: Tensor; gradFunc: GradFunc };

/** A trace for a gradient function: foreign tensors become extra body inputs (closure conversion). */
class BodyTrace extends Trace {
  /** What each capture input stands for outside: a tensor of the enclosing trace, or an eager tensor. */
  readonly closedOver: Tensor[] = [];
  private readonly inputOf = new Map<unknown, Value>();

  constructor(private readonly outer: Trace | null) {
    super("grad_func");
  }

  /** The key a tensor from outside is known by: its value in the enclosing trace, or itself when eager. */
  private keyOf(t: Tensor): unknown {
    return this.outer ? this.outer.lift(t) : t;
  }

  /** The body input each bound tensor (input, value) stands for, by identity. */
  private readonly boundTo = new Map<Tensor, Value>();

  bind(t: Tensor, v: Value): void {
    const k = this.keyOf(t);
    if (!this.inputOf.has(k)) this.inputOf.set(k, v);
    if (!this.boundTo.has(t)) this.boundTo.set(t, v);
  }

  override lift(t: Tensor): Value {
    if (t._sym?.trace === this) return t._sym.value;
    // a bound input is the body's input even when it is a concrete tensor (a custom gradient
    // called eagerly inside another's gradFunc), never a constant of its current data
    const bound = this.boundTo.get(t);
    if (bound) return bound;
    if (t._sym && !this.outer) throw new UsageError("customGradient: the gradient function used a tensor from a traced step, but the custom gradient is eager");
    // constants stay inside the body when there is an enclosing trace
    if (this.outer && !t._sym && !isVariable(t)) return super.lift(t);
    const k = this.keyOf(t);
    let v = this.inputOf.get(k);
    if (!v) {
      v = this.builder.input({ dtype: t.dtype, shape: t.shape });
      this.inputOf.set(k, v);
      this.closedOver.push(this.outer ? this.outer.wrap(k as Value) : t);
    }
    return v;
  }

  override readVariable(v: import("./variable.js").Variable): Value {
    return this.lift(v);
  }
}

/** Traces `gradFunc` into a body graph; returns it with the outer tensors its capture inputs stand for. */
function traceGradFunc(inputs: readonly Tensor[], value: Tensor, gradFunc: GradFunc, outer: Trace | null, loc: string | undefined): { body: Graph; captured: Tensor[] } {
  const tr = new BodyTrace(outer);
  const b: Builder = tr.builder;
  inputs.forEach((x) => tr.bind(x, b.input({ dtype: x.dtype, shape: x.shape })));
  tr.bind(value, b.input({ dtype: value.dtype, shape: value.shape }));
  const dy = tr.wrap(b.input({ dtype: value.dtype, shape: value.shape }));
  const res = withTrace(tr, () => gradFunc(dy));
  const list = res instanceof Tensor || res === null ? [res] : Array.isArray(res) ? res : [res];
  if (list.length !== inputs.length) {
    throw new GradError(`customGradient: gradFunc returned ${list.length} gradient(s) for ${inputs.length} input(s)`, loc);
  }
  const outs = list.map((g, i) => {
    const x = inputs[i]!;
    if (g === null || g === undefined) return tr.lift(withTrace(tr, () => zerosLike(x)));
    if (!(g instanceof Tensor)) throw new UsageError(`customGradient: gradFunc's gradient ${i} is not a tensor`, loc);
    if (!sameShape(g.shape, x.shape)) {
      throw new GradError(`customGradient: gradFunc's gradient ${i} is ${g.dtype}${shapeStr(g.shape)} but input ${i} is ${x.dtype}${shapeStr(x.shape)} (sum a broadcast gradient back to the input's shape)`, loc);
    }
    if (g.dtype !== x.dtype) {
      if (!isFloat(g.dtype) || !isFloat(x.dtype)) throw new DTypeError(`customGradient: gradient ${i} is ${g.dtype} but input ${i} is ${x.dtype}`, loc);
      return tr.lift(withTrace(tr, () => cast(g, x.dtype)));
    }
    return tr.lift(g);
  });
  b.loc = undefined;
  b.output(...outs);
  // a gradFunc may itself take gradients: expand its markers now, the body is inlined as is later;
  // custom_grad nodes stay, so a custom gradient the gradFunc calls keeps its rule at higher orders
  return { body: expandGradients(b.finish(), { keepCustom: true }), captured: tr.closedOver };
}

/**
 * Wraps `f` so that its result's gradient is `gradFunc`'s, not the derivative of `f`'s ops
 * (TensorFlow.js's `customGrad`). Works inside `fn` and eagerly.
 *
 * @example
 *   const clipGrad = customGradient((x: Tensor) => ({ value: x, gradFunc: (dy) => dy.clipByValue(-1, 1) }));
 */
export function customGradient<A extends Tensor[]>(f: CustomGradientFn<A>): (...inputs: A) => Tensor {
  return (...inputs: A): Tensor => {
    const loc = userLoc();
    inputs.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw new UsageError(`customGradient: input ${i} must be a tensor, got ${typeof x}`, loc);
    });
    const r = f(...inputs);
    if (!r || !(r.value instanceof Tensor) || typeof r.gradFunc !== "function") {
      throw new UsageError("customGradient: f must return { value: Tensor, gradFunc: (dy) => gradients }", loc);
    }
    const tr = currentTrace();
    const { body, captured } = traceGradFunc(inputs, r.value, r.gradFunc, tr, loc);
    const operands = [...inputs, r.value, ...captured];
    const attrs = { n: inputs.length };
    if (tr) return tr.wrap(tr.builder.emit("custom_grad", operands.map((t) => tr.lift(t)), attrs, loc, body));
    return new Tensor({ nd: r.value.nd, src: { op: "custom_grad", inputs: operands, attrs, body, ...(loc ? { loc } : {}) } });
  };
}
