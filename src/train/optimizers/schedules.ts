/** @file Learning-rate schedules: functions of the optimizer's step counter written in the DSL, so the
 * decayed rate is computed inside the compiled step (not baked in when it was traced). */
import { cast, cos, floor, minimum, pow, scalar, type Tensor } from "../../dsl/index.js";
import { UsageError } from "../../ir/index.js";
import { registerClass, type Config } from "../serialization.js";

/** Base class: `call(step)` maps the number of steps taken so far (an f32 scalar tensor) to a rate. */
export abstract class LearningRateSchedule {
  abstract call(step: Tensor): Tensor;
  abstract getConfig(): Config;

  /** The rate at `step` (a number evaluates eagerly; a tensor may be symbolic). */
  apply(step: number | Tensor): Tensor {
    return this.call(typeof step === "number" ? scalar(step) : step.dtype === "f32" ? step : cast(step, "f32"));
  }

  static fromConfig<T>(this: new (c: never) => T, config: Config): T {
    return new this(config as never);
  }
}

export interface RateDecayOptions {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  /** Decay in whole intervals (floor(step / decaySteps)) instead of continuously. */
  readonly staircase?: boolean;
}
export type ExponentialDecayOptions = RateDecayOptions;
export type InverseTimeDecayOptions = RateDecayOptions;

/** The decays driven by p = step / decaySteps (floored with `staircase`) and a decay rate. */
abstract class RateDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  constructor(o: RateDecayOptions) {
    super();
    if (!(o.decaySteps > 0)) throw new UsageError(`${new.target.name}: decaySteps must be > 0, got ${o.decaySteps}`);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
    this.decayRate = o.decayRate;
    this.staircase = o.staircase ?? false;
  }
  /** The rate as a function of p = step / decaySteps. */
  protected abstract decay(p: Tensor): Tensor;
  call(step: Tensor): Tensor {
    const p = step.div(this.decaySteps);
    return this.decay(this.staircase ? floor(p) : p);
  }
  getConfig(): Config {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase };
  }
}

/** lr(step) = initial * decayRate ^ (step / decaySteps)  (Keras's ExponentialDecay). */
export class ExponentialDecay extends RateDecay {
  protected decay(p: Tensor): Tensor {
    return pow(scalar(this.decayRate), p).mul(this.initialLearningRate);
  }
}

/** lr(step) = initial / (1 + decayRate * step / decaySteps)  (Keras's InverseTimeDecay). */
export class InverseTimeDecay extends RateDecay {
  protected decay(p: Tensor): Tensor {
    return scalar(this.initialLearningRate).div(p.mul(this.decayRate).add(1));
  }
}

export interface CosineDecayOptions {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  /** The floor, as a fraction of the initial rate (default 0). */
  readonly alpha?: number;
}

/** lr(step) = initial * ((1 - alpha) * (1 + cos(pi * min(step, decaySteps) / decaySteps)) / 2 + alpha)  (Keras's CosineDecay). */
export class CosineDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  constructor(o: CosineDecayOptions) {
    super();
    if (!(o.decaySteps > 0)) throw new UsageError(`CosineDecay: decaySteps must be > 0, got ${o.decaySteps}`);
    this.initialLearningRate = o.initialLearningRate;
    this.decaySteps = o.decaySteps;
    this.alpha = o.alpha ?? 0;
  }
  call(step: Tensor): Tensor {
    const frac = minimum(step, this.decaySteps).div(this.decaySteps);
    const cosine = cos(frac.mul(Math.PI)).add(1).mul(0.5);
    return cosine.mul(1 - this.alpha).add(this.alpha).mul(this.initialLearningRate);
  }
  getConfig(): Config {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, alpha: this.alpha };
  }
}

registerClass(ExponentialDecay);
registerClass(CosineDecay);
registerClass(InverseTimeDecay);
