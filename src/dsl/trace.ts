/** @file The trace context: while a step is traced, ops emit IR instead of computing. */
import { Builder, constAttrsOf, UsageError, type NDArray, type Value } from "../ir/index.js";
import { Tensor } from "./tensor.js";
import type { Variable } from "./variable.js";
import { userLoc } from "./loc.js";

/** One tracing of one step for one input signature. */
export class Trace {
  readonly builder: Builder;
  /** State parameter for each variable the step touches, in first-use order. */
  readonly stateOf = new Map<Variable, Value>();
  /** The latest value assigned to each variable in this trace. */
  readonly assigned = new Map<Variable, Value>();
  private readonly captured = new Map<NDArray, Value>();

  constructor(name: string) {
    this.builder = new Builder(name);
  }

  wrap(value: Value): Tensor {
    return new Tensor({ sym: { value, trace: this } });
  }

  /** The state parameter standing for `v` (the value it had when the step began). */
  stateParam(v: Variable): Value {
    let s = this.stateOf.get(v);
    if (!s) {
      s = this.builder.stateParam({ dtype: v.dtype, shape: v.shape }, v.name, v.trainable);
      this.stateOf.set(v, s);
    }
    return s;
  }

  /** Reading a variable sees the latest assignment in this step, as tf.function does. */
  readVariable(v: Variable): Value {
    return this.assigned.get(v) ?? this.stateParam(v);
  }

  /** The IR value for a tensor used inside this trace; concrete tensors become constants. */
  lift(t: Tensor): Value {
    if (t._sym) {
      if (t._sym.trace !== this) throw new UsageError("a symbolic tensor from another traced fn was used here: tensors created inside a step cannot leak out of it (return them instead)", userLoc());
      return t._sym.value;
    }
    if (isVariable(t)) return this.readVariable(t);
    const nd = t.nd;
    let c = this.captured.get(nd);
    if (!c) {
      c = this.builder.emit("const", [], constAttrsOf(nd));
      this.captured.set(nd, c);
    }
    return c;
  }
}

let current: Trace | null = null;

export const currentTrace = (): Trace | null => current;

/** Runs `body` with `t` as the active trace (nesting restores the outer one). */
export function withTrace<T>(t: Trace, body: () => T): T {
  const outer = current;
  current = t;
  try {
    return body();
  } finally {
    current = outer;
  }
}

/** Runs `body` eagerly even inside a trace (used to evaluate concrete helpers). */
export function outsideTrace<T>(body: () => T): T {
  const outer = current;
  current = null;
  try {
    return body();
  } finally {
    current = outer;
  }
}

const VARIABLE = Symbol.for("graft.variable");
export const variableBrand = VARIABLE;
export const isVariable = (t: unknown): t is Variable => typeof t === "object" && t !== null && (t as Record<symbol, unknown>)[VARIABLE] === true;

