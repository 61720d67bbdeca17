/** @file Variables: explicit state. Inside a step, reads are state inputs and `assign` records the new value. */
import { DTypeError, nd, sameShape, ShapeError, shapeStr, UsageError, type NDArray } from "../ir/index.js";
import { Tensor } from "./tensor.js";
import { currentTrace, variableBrand } from "./trace.js";
import { toTensor, type TensorInit } from "./create.js";
import { cast } from "./ops.js";
import { userLoc } from "./loc.js";
import type { StateCell } from "../runtime/index.js";

const usedNames = new Map<string, number>();
function uniqueName(base: string): string {
  const n = usedNames.get(base) ?? 0;
  usedNames.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

export interface VariableOptions {
  readonly name?: string;
  /** Whether `trainableVariables` and optimizers see it (default true). */
  readonly trainable?: boolean;
  readonly dtype?: import("../ir/index.js").DType | "float32" | "float64" | "int32";
}

export class Variable extends Tensor implements StateCell {
  readonly [variableBrand] = true;
  readonly name: string;
  readonly trainable: boolean;

  constructor(initial: TensorInit, opts: VariableOptions = {}) {
    const t = toTensor(initial, opts.dtype);
    if (t.isSymbolic) throw new UsageError("variable(): create variables outside traced steps (their initial value must be concrete)", userLoc());
    super({ nd: nd(t.dtype, t.shape, t.nd.data) });
    this.name = uniqueName(opts.name ?? "var");
    this.trainable = opts.trainable ?? true;
  }

  /**
   * The current value: a concrete snapshot eagerly, the latest symbolic value inside a step.
   * The eager snapshot's lineage is an identity of the variable (a same-shape reshape), so eager
   * `gradients(f(w.value), [w])` reaches `w`, as it does inside a step (a layer's regularization
   * penalties are built from `.value`). Its data is a copy: a later `assign` does not change it,
   * and the identity's VJP does not read the variable, so its gradient is the one at the read.
   */
  get value(): Tensor {
    const tr = currentTrace();
    if (tr) return tr.wrap(tr.readVariable(this));
    return new Tensor({ nd: nd(this.dtype, this.shape, this.nd.data.slice()), src: { op: "reshape", inputs: [this], attrs: { shape: this.shape } } });
  }

  /** Replaces the value. Shape and dtype must match; inside a step this becomes an IR `assign`. */
  assign(value: TensorInit): this {
    const tr = currentTrace();
    let t = value instanceof Tensor ? value : toTensor(value, this.dtype);
    if (t.dtype !== this.dtype) {
      if ((t.dtype === "f32" || t.dtype === "f64") && (this.dtype === "f32" || this.dtype === "f64")) t = cast(t, this.dtype);
      else throw new DTypeError(`assign to variable '${this.name}': it is ${this.dtype}, the value is ${t.dtype}`, userLoc());
    }
    if (!sameShape(t.shape, this.shape)) throw new ShapeError(`assign to variable '${this.name}': it is ${shapeStr(this.shape)}, the value is ${shapeStr(t.shape)}`, userLoc());
    if (tr) tr.assigned.set(this, tr.lift(t));
    else this.write(nd(this.dtype, this.shape, t.nd.data));
    return this;
  }

  /** A backend-held copy of the value (see StateCell); reads download it on demand. */
  resident?: StateCell["resident"];

  override get nd(): NDArray {
    if (this.resident) {
      this._nd = this.resident.download();
      this.resident = undefined;
    }
    return super.nd;
  }

  read(): NDArray {
    return this.nd;
  }

  write(a: NDArray): void {
    this.resident = undefined;
    this._nd = a;
  }
}

export const variable = (initial: TensorInit, opts?: VariableOptions): Variable => new Variable(initial, opts);
