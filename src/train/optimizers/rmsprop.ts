/** @file RMSprop (tf.train.rmsprop's formula) and Adagrad (tf.train.adagrad's). */
import { sqrt, type Tensor, type Variable } from "../../dsl/index.js";
import { registerClass, type Config } from "../serialization.js";
import { Optimizer, type OptimizerOptions, type UpdateContext } from "./optimizer.js";

export interface RMSpropOptions extends OptimizerOptions {
  /** Discount of the running mean square (tfjs calls it `decay`; default 0.9). */
  readonly rho?: number;
  readonly momentum?: number;
  readonly epsilon?: number;
  /** Normalize by the variance estimate (ms - mg^2) instead of the raw mean square. */
  readonly centered?: boolean;
}

/**
 * ms <- rho ms + (1 - rho) g^2
 * mom <- momentum * mom + lr * g / sqrt(ms + eps)        (eps inside the sqrt, as tfjs)
 * centered: mg <- rho mg + (1 - rho) g;  denominator sqrt(ms - mg^2 + eps)
 *   (TF's ApplyCenteredRMSProp; tfjs writes sqrt(ms - (mg^2 + eps)), which can take the root of a
 *   negative number; the two differ by 2 eps under the root)
 * v <- v - mom
 */
export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  constructor(opts: RMSpropOptions = {}) {
    super(opts, "RMSprop");
    this.rho = opts.rho ?? 0.9;
    this.momentum = opts.momentum ?? 0;
    this.epsilon = opts.epsilon ?? 1e-7;
    this.centered = opts.centered ?? false;
  }
  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) this.addSlot(v, "rms");
    for (const v of vars) this.addSlot(v, "momentum");
    if (this.centered) for (const v of vars) this.addSlot(v, "mg");
  }
  protected override applyDense(g: Tensor, v: Variable, { lr }: UpdateContext): Tensor {
    const ms = this.getSlot(v, "rms");
    const mom = this.getSlot(v, "momentum");
    const ms1 = ms.mul(this.rho).add(g.square().mul(1 - this.rho));
    ms.assign(ms1);
    let denom: Tensor;
    if (this.centered) {
      const mg = this.getSlot(v, "mg");
      const mg1 = mg.mul(this.rho).add(g.mul(1 - this.rho));
      mg.assign(mg1);
      denom = sqrt(ms1.sub(mg1.square()).add(this.epsilon));
    } else {
      denom = sqrt(ms1.add(this.epsilon));
    }
    const mom1 = mom.mul(this.momentum).add(g.mul(lr).div(denom));
    mom.assign(mom1);
    return v.sub(mom1);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
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
