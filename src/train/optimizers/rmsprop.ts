/** @file RMSprop (Keras's formula by default, tf.train.rmsprop's as `formula: "tfjs"`) and Adagrad (tf.train.adagrad's). */
import { sqrt, type Tensor, type Variable } from "../../dsl/index.js";
import { UsageError } from "../../ir/index.js";
import { registerClass, type Config } from "../serialization.js";
import { Optimizer, type OptimizerOptions, type UpdateContext } from "./optimizer.js";

export interface RMSpropOptions extends OptimizerOptions {
  /** Discount of the running mean square (tfjs calls it `decay`; default 0.9). */
  readonly rho?: number;
  readonly momentum?: number;
  readonly epsilon?: number;
  /** Normalize by the variance estimate (ms - mg^2) instead of the raw mean square. */
  readonly centered?: boolean;
  /** "keras" (default; see the class) or "tfjs": eps always inside the root, momentum or not. */
  readonly formula?: "keras" | "tfjs";
}

/**
 * ms <- rho ms + (1 - rho) g^2;   centered: mg <- rho mg + (1 - rho) g, d = ms - mg^2, else d = ms
 * momentum = 0 (Keras):  v <- v - lr g / (sqrt(d) + eps)          (tf.keras's RMSprop: eps outside the root)
 * momentum > 0, or "tfjs": mom <- momentum mom + lr g / sqrt(d + eps);  v <- v - mom
 *   (TF's ApplyRMSProp / ApplyCenteredRMSProp kernels, which Keras calls when momentum > 0; tfjs
 *   writes the centered root as sqrt(ms - (mg^2 + eps)), which can be the root of a negative number)
 * With gradients ~1e-6 the two placements differ by orders of magnitude (sqrt(1e-12) vs sqrt(1e-7)).
 */
export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  readonly formula: "keras" | "tfjs";
  constructor(opts: RMSpropOptions = {}) {
    super(opts, "RMSprop");
    this.rho = opts.rho ?? 0.9;
    this.momentum = opts.momentum ?? 0;
    this.epsilon = opts.epsilon ?? 1e-7;
    this.centered = opts.centered ?? false;
    this.formula = opts.formula ?? "keras";
    if (this.formula !== "keras" && this.formula !== "tfjs") throw new UsageError(`RMSprop: formula must be "keras" or "tfjs", got ${JSON.stringify(this.formula)}`);
  }
  /** Keras without momentum: eps outside the root and no momentum slot. */
  private get plain(): boolean {
    return this.formula === "keras" && this.momentum === 0;
  }
  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) this.addSlot(v, "rms");
    if (!this.plain) for (const v of vars) this.addSlot(v, "momentum");
    if (this.centered) for (const v of vars) this.addSlot(v, "mg");
  }
  protected override applyDense(g: Tensor, v: Variable, { lr }: UpdateContext): Tensor {
    const ms = this.getSlot(v, "rms");
    const ms1 = ms.mul(this.rho).add(g.square().mul(1 - this.rho));
    ms.assign(ms1);
    let d = ms1;
    if (this.centered) {
      const mg = this.getSlot(v, "mg");
      const mg1 = mg.mul(this.rho).add(g.mul(1 - this.rho));
      mg.assign(mg1);
      d = ms1.sub(mg1.square());
    }
    if (this.plain) return v.sub(g.mul(lr).div(sqrt(d).add(this.epsilon)));
    const mom = this.getSlot(v, "momentum");
    const mom1 = mom.mul(this.momentum).add(g.mul(lr).div(sqrt(d.add(this.epsilon))));
    mom.assign(mom1);
    return v.sub(mom1);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered, ...(this.formula === "tfjs" ? { formula: this.formula } : {}) };
  }
}

export interface AdagradOptions extends OptimizerOptions {
  readonly initialAccumulatorValue?: number;
  readonly epsilon?: number;
}

/** acc <- acc + g^2;  v <- v - lr * g / sqrt(acc + eps)   (eps inside the sqrt, as tfjs). */
export class Adagrad extends Optimizer {
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  constructor(opts: AdagradOptions = {}) {
    super(opts, "Adagrad");
    this.initialAccumulatorValue = opts.initialAccumulatorValue ?? 0.1;
    this.epsilon = opts.epsilon ?? 1e-7;
  }
  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) this.addSlot(v, "accumulator", this.initialAccumulatorValue);
  }
  protected override applyDense(g: Tensor, v: Variable, { lr }: UpdateContext): Tensor {
    const acc = this.getSlot(v, "accumulator");
    const acc1 = acc.add(g.square());
    acc.assign(acc1);
    return v.sub(lr.mul(g).div(sqrt(acc1.add(this.epsilon))));
  }
  override getConfig(): Config {
    return { ...super.getConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

registerClass(RMSprop);
registerClass(Adagrad);
