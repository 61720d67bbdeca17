/** @file SGD with optional (Nesterov) momentum, as tf.train.sgd / tf.train.momentum compute it. */
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
 * Plain:     v <- v - lr * g
 * Momentum:  a <- m * a + g;  v <- v - lr * a                (tfjs's MomentumOptimizer)
 * Nesterov:  a <- m * a + g;  v <- v - lr * (g + m * a)
 * (Keras keeps velocity = m * velocity - lr * g instead; the two agree while lr is constant.)
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(opts: SGDOptions = {}) {
    super({ learningRate: 0.01, ...opts }, "SGD");
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.momentum < 0 || this.momentum > 1) throw new UsageError(`SGD: momentum must be in [0, 1], got ${this.momentum}`);
  }
  protected override createSlots(vars: readonly Variable[]): void {
    if (this.momentum > 0) for (const v of vars) this.addSlot(v, "momentum");
  }
  protected override applyDense(g: Tensor, v: Variable, { lr }: UpdateContext): Tensor {
    if (this.momentum === 0) return v.sub(lr.mul(g));
    const acc = this.getSlot(v, "momentum");
    const a = acc.mul(this.momentum).add(g);
    acc.assign(a);
    return v.sub(lr.mul(this.nesterov ? g.add(a.mul(this.momentum)) : a));
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
