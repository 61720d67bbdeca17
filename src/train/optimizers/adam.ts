/** @file Adam (tf.train.adam's formula and epsilon placement) and AdamW (decoupled weight decay). */
import { pow, sqrt, sub, type Tensor, type Variable } from "../../dsl/index.js";
import { UsageError } from "../../ir/index.js";
import { registerClass, type Config } from "../serialization.js";
import { Optimizer, type IndexedSlices, type OptimizerOptions, type UpdateContext } from "./optimizer.js";

export interface AdamOptions extends OptimizerOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  /** Added to sqrt(v_hat), as tfjs and Keras do (default 1e-7, tfjs's float32 epsilon). */
  readonly epsilon?: number;
}

/**
 * t = iterations + 1
 * m <- b1 m + (1 - b1) g;   s <- b2 s + (1 - b2) g^2
 * v <- v - lr * (m / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)
 * tfjs keeps b1^t in an extra variable multiplied each step; here it is pow(b1, t) of the counter.
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  constructor(opts: AdamOptions = {}, defaultName = "Adam") {
    super(opts, defaultName);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-7;
    for (const [k, b] of [["beta1", this.beta1], ["beta2", this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new UsageError(`${this.name}: ${k} must be in [0, 1), got ${b}`);
    }
  }
  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) this.addSlot(v, "m");
    for (const v of vars) this.addSlot(v, "v");
  }
  /** The Adam step lr * m_hat / (sqrt(v_hat) + eps), with the moments updated. */
  protected adamStep(g: Tensor, v: Variable, { lr, step }: UpdateContext): Tensor {
    const m = this.getSlot(v, "m");
    const s = this.getSlot(v, "v");
    const m1 = m.mul(this.beta1).add(g.mul(1 - this.beta1));
    const s1 = s.mul(this.beta2).add(g.square().mul(1 - this.beta2));
    m.assign(m1);
    s.assign(s1);
    const mHat = m1.div(sub(1, pow(this.beta1, step)));
    const sHat = s1.div(sub(1, pow(this.beta2, step)));
    return lr.mul(mHat.div(sqrt(sHat).add(this.epsilon)));
  }
  protected override applyDense(g: Tensor, v: Variable, ctx: UpdateContext): Tensor {
    return v.sub(this.adamStep(g, v, ctx));
  }
  // TF's sparse Adam also decays every row's moments, which is what the dense rule on scatter_add does
  protected override applySparse(g: IndexedSlices, v: Variable, ctx: UpdateContext): Tensor | void {
    return this.applySparseAsDense(g, v, ctx);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay (default 0.004, Keras's). */
  readonly weightDecay?: number;
}

/**
 * AdamW (Loshchilov & Hutter): the decay is applied to the weights directly, not through the gradient:
 * v <- v - lr * wd * v - lr * m_hat / (sqrt(v_hat) + eps)   (Keras's order: decay first, then Adam).
 */
export class AdamW extends Adam {
  readonly weightDecay: number;
  constructor(opts: AdamWOptions = {}) {
    super(opts, "AdamW");
    this.weightDecay = opts.weightDecay ?? 0.004;
  }
  protected override applyDense(g: Tensor, v: Variable, ctx: UpdateContext): Tensor {
    const decayed = v.sub(ctx.lr.mul(this.weightDecay).mul(v));
    return decayed.sub(this.adamStep(g, v, ctx));
  }
  override getConfig(): Config {
    return { ...super.getConfig(), weightDecay: this.weightDecay };
  }
}

registerClass(Adam);
registerClass(AdamW);
