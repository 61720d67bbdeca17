/** @file Adam (Keras's formula by default, tf.train.adam's as `formula: "tfjs"`) and AdamW (decoupled weight decay). */
import { pow, sqrt, sub, type Tensor, type Variable } from "../../dsl/index.js";
import { UsageError } from "../../ir/index.js";
import { registerClass, type Config } from "../serialization.js";
import { Optimizer, type IndexedSlices, type OptimizerOptions, type UpdateContext } from "./optimizer.js";

export interface AdamOptions extends OptimizerOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  /** Keras's "epsilon hat" (default 1e-7); see `formula` for where it is added. */
  readonly epsilon?: number;
  /**
   * "keras" (default): lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), v -= lr_t m / (sqrt(s) + eps);
   * "tfjs": tf.train.adam's v -= lr m_hat / (sqrt(s_hat) + eps). They differ where sqrt(s) is
   * near eps (gradients ~1e-6: up to 7e-2 relative after 25 steps).
   */
  readonly formula?: "keras" | "tfjs";
}

/**
 * t = iterations + 1
 * m <- b1 m + (1 - b1) g;   s <- b2 s + (1 - b2) g^2
 * keras: v <- v - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(s) + eps)   (tf.keras's ResourceApplyAdam)
 * tfjs:  v <- v - lr * (m / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)
 * The two are equal for eps = 0; Keras's eps is the paper's "epsilon hat" (the bias-corrected
 * eps is eps / sqrt(1 - b2^t)). b1^t is pow(b1, t) of the in-graph counter.
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly formula: "keras" | "tfjs";
  constructor(opts: AdamOptions = {}, defaultName = "Adam") {
    super(opts, defaultName);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-7;
    this.formula = opts.formula ?? "keras";
    if (this.formula !== "keras" && this.formula !== "tfjs") throw new UsageError(`${this.name}: formula must be "keras" or "tfjs", got ${JSON.stringify(this.formula)}`);
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
    const c1 = sub(1, pow(this.beta1, step));
    const c2 = sub(1, pow(this.beta2, step));
    if (this.formula === "keras") return lr.mul(sqrt(c2)).div(c1).mul(m1.div(sqrt(s1).add(this.epsilon)));
    return lr.mul(m1.div(c1).div(sqrt(s1.div(c2)).add(this.epsilon)));
  }
  protected override applyDense(g: Tensor, v: Variable, ctx: UpdateContext): Tensor {
    return v.sub(this.adamStep(g, v, ctx));
  }
  // TF's sparse Adam also decays every row's moments, which is what the dense rule on scatter_add does
  protected override applySparse(g: IndexedSlices, v: Variable, ctx: UpdateContext): Tensor | void {
    return this.applySparseAsDense(g, v, ctx);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, ...(this.formula === "tfjs" ? { formula: this.formula } : {}) };
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
