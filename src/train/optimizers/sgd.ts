/** @file SGD with optional (Nesterov) momentum, as Keras computes it (Keras's velocity form). */
import { UsageError } from "../../ir/index.js";
import type { Tensor, Variable } from "../../dsl/index.js";
import { registerClass, type Config } from "../serialization.js";
import { Optimizer, type IndexedSlices, type OptimizerOptions, type UpdateContext } from "./optimizer.js";

export interface SGDOptions extends OptimizerOptions {
  /** 0 (default) is plain SGD. */
  readonly momentum?: number;
  readonly nesterov?: boolean;
}

/**
 * Keras's rule (tf.keras's ResourceApplyKerasMomentum):
 * Plain:     v <- v - lr * g
 * Momentum:  velocity <- m * velocity - lr * g;  v <- v + velocity
 * Nesterov:  velocity <- m * velocity - lr * g;  v <- v + m * velocity - lr * g
 * tfjs's MomentumOptimizer keeps a = m a + g and steps v -= lr a instead: the same while lr is
 * constant, but with a schedule it rescales the whole history by the new rate; Keras's velocity
 * keeps each step's own rate, so that is the default here.
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(opts: SGDOptions = {}) {
    super(opts, "SGD", 0.01);
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.momentum < 0 || this.momentum > 1) throw new UsageError(`SGD: momentum must be in [0, 1], got ${this.momentum}`);
  }
  protected override createSlots(vars: readonly Variable[]): void {
    if (this.momentum > 0) for (const v of vars) this.addSlot(v, "momentum");
  }
  protected override applyDense(g: Tensor, v: Variable, { lr }: UpdateContext): Tensor {
    const step = lr.mul(g);
    if (this.momentum === 0) return v.sub(step);
    const vel = this.getSlot(v, "momentum");
    const vel1 = vel.mul(this.momentum).sub(step);
    vel.assign(vel1);
    return v.add(this.nesterov ? vel1.mul(this.momentum).sub(step) : vel1);
  }
  // each row's update is linear in its gradient, so densifying gives exactly the sparse update
  protected override applySparse(g: IndexedSlices, v: Variable, ctx: UpdateContext): Tensor | void {
    return this.applySparseAsDense(g, v, ctx);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}

registerClass(SGD);
