/** @file Tensor: a concrete array (eager) or a symbolic value inside a trace, with tfjs-style accessors. */
import { toNested, UsageError, type DType, type NDArray, type Shape, type Value } from "../ir/index.js";
import type { Trace } from "./trace.js";
import { userLoc } from "./loc.js";

/** Where an eager tensor came from, so eager `gradients` can rebuild the computation. */
export interface EagerSource {
  readonly op: import("../ir/index.js").OpName;
  readonly inputs: readonly Tensor[];
  readonly attrs: import("../ir/index.js").Attrs;
  readonly loc?: string;
  /** The body of a region-like op (custom_grad's gradient function). */
  readonly body?: import("../ir/index.js").Graph;
}

export class Tensor {
  /** @internal concrete data (eager tensors and variables) */
  protected _nd?: NDArray;
  /** @internal symbolic value inside a trace */
  readonly _sym?: { readonly value: Value; readonly trace: Trace };
  /** @internal eager lineage */
  readonly _src?: EagerSource;

  /** @internal use `tensor()` or the ops; this is for graft's own layers. */
  constructor(init: { nd: NDArray; src?: EagerSource } | { sym: { value: Value; trace: Trace } }) {
    if ("nd" in init) {
      this._nd = init.nd;
      if (init.src) this._src = init.src;
    } else this._sym = init.sym;
  }

  get shape(): number[] {
    return [...(this._sym ? this._sym.value.shape : this.nd.shape)];
  }
  get dtype(): DType {
    return this._sym ? this._sym.value.dtype : this.nd.dtype;
  }
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get isSymbolic(): boolean {
    return this._sym !== undefined;
  }

  /** @internal the concrete array; throws a clear error for symbolic tensors. */
  get nd(): NDArray {
    if (!this._nd) {
      throw new UsageError("this tensor is symbolic (it lives inside a traced fn): its values exist only when the compiled step runs; return it from the step to read it", userLoc());
    }
    return this._nd;
  }

  /** The values as a flat typed array (f32 → Float32Array, i32 → Int32Array, bool → Uint8Array). */
  dataSync(): Float32Array | Float64Array | Int32Array | Uint8Array {
    return this.nd.data.slice();
  }
  async data(): Promise<Float32Array | Float64Array | Int32Array | Uint8Array> {
    return this.dataSync();
  }
  /** Nested JS arrays (a number for a scalar), as tfjs's `arraySync`. */
  arraySync(): unknown {
    return toNested(this.nd);
  }
  async array(): Promise<unknown> {
    return this.arraySync();
  }
  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new UsageError(`item() needs a one-element tensor, this one is ${this.dtype}[${this.shape}]`);
    return this.nd.data[0]!;
  }
  toString(): string {
    if (this._sym) return `Tensor(symbolic ${this.dtype}[${this.shape}])`;
    return `Tensor(${this.dtype}[${this.shape}] ${JSON.stringify(this.arraySync())})`;
  }
}

export const isTensor = (x: unknown): x is Tensor => x instanceof Tensor;
export type Shapeish = Shape;
