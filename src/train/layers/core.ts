/** @file Dense, Dropout, Activation and Flatten layers. */
import { leakyRelu, matmul, randomUniform, reshape, tensor, where, type Tensor, type Variable } from "../../dsl/index.js";
import { ShapeError, shapeStr, UsageError } from "../../ir/index.js";
import { drawSeed, Initializer } from "../initializers.js";
import type { Regularizer } from "../regularizers.js";
import { isSerialized, registerClass, serialize, type Config } from "../serialization.js";
import { getActivation, type ActivationFn, type ActivationName } from "./activations.js";
import { Layer, type CallOptions, type LayerOptions } from "./layer.js";

export interface DenseOptions extends LayerOptions {
  readonly units: number;
  readonly activation?: ActivationName | ActivationFn;
  readonly useBias?: boolean;
  readonly kernelInitializer?: Initializer | string;
  readonly biasInitializer?: Initializer | string;
  readonly kernelRegularizer?: Regularizer | string;
  readonly biasRegularizer?: Regularizer | string;
}

/** y = activation(x W + b), W: [inputs, units]. */
export class Dense extends Layer {
  readonly units: number;
  readonly useBias: boolean;
  private readonly act: { fn: ActivationFn; name: string };
  private readonly opts: DenseOptions;
  kernel?: Variable;
  bias?: Variable;

  constructor(opts: DenseOptions) {
    super(opts);
    if (!Number.isInteger(opts.units) || opts.units < 1) throw new UsageError(`Dense: units must be a positive integer, got ${opts.units}`);
    this.units = opts.units;
    this.useBias = opts.useBias ?? true;
    this.act = getActivation(opts.activation);
    this.opts = opts;
  }

  override build(inputShape: readonly number[]): void {
    const inDim = inputShape.at(-1);
    if (inDim === undefined || inDim < 1) throw new ShapeError(`${this.name}: Dense needs inputs with a known last axis, got ${shapeStr(inputShape)}`);
    this.kernel = this.addWeight("kernel", [inDim, this.units], { initializer: this.opts.kernelInitializer ?? "glorotUniform", ...(this.opts.kernelRegularizer ? { regularizer: this.opts.kernelRegularizer } : {}) });
    if (this.useBias) this.bias = this.addWeight("bias", [this.units], { initializer: this.opts.biasInitializer ?? "zeros", ...(this.opts.biasRegularizer ? { regularizer: this.opts.biasRegularizer } : {}) });
  }

  call(x: Tensor): Tensor {
    if (x.rank < 2) throw new ShapeError(`${this.name}: Dense expects [batch, ..., features], got ${x.dtype}${shapeStr(x.shape)}`);
    let y = matmul(x, this.kernel!);
    if (this.bias) y = y.add(this.bias);
    return this.act.fn(y);
  }

  override computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Config {
    const o = this.opts;
    // a layer rebuilt from a config holds its initializers/regularizers still serialized
    const ser = (x: unknown) => (typeof x === "string" || x === undefined || isSerialized(x) ? x : serialize(x as Initializer));
    return {
      ...super.getConfig(), units: this.units, activation: this.act.name, useBias: this.useBias,
      kernelInitializer: ser(o.kernelInitializer) as Config[string], biasInitializer: ser(o.biasInitializer) as Config[string],
      kernelRegularizer: ser(o.kernelRegularizer) as Config[string], biasRegularizer: ser(o.biasRegularizer) as Config[string],
    };
  }
}

export interface DropoutOptions extends LayerOptions {
  /** Fraction of inputs set to zero while training. */
  readonly rate: number;
  readonly seed?: number;
}

/**
 * Inverted dropout: while training, keep each input with probability 1 - rate and scale it by
 * 1 / (1 - rate). The mask comes from counter-based random numbers keyed by a state variable
 * [seed, step] (Keras 3's SeedGenerator) whose step advances in-graph on every training call: a
 * compiled step draws a new mask each time it runs, and since the seed is state too, a checkpoint
 * restores the exact sequence of masks.
 */
export class Dropout extends Layer {
  readonly rate: number;
  readonly seed: number;
  /** i32[2]: [seed, number of training calls so far]. */
  readonly seedState: Variable;

  constructor(opts: DropoutOptions) {
    super(opts);
    if (!(opts.rate >= 0 && opts.rate < 1)) throw new UsageError(`Dropout: rate must be in [0, 1), got ${opts.rate}`);
    this.rate = opts.rate;
    this.seed = opts.seed ?? drawSeed();
    this.seedState = this.addWeight("seed_generator_state", [2], { dtype: "i32", trainable: false, initializer: new SeedInit(this.seed | 0) });
  }

  call(x: Tensor, { training = false }: CallOptions): Tensor {
    if (!training || this.rate === 0) return x;
    const key = this.seedState.value;
    this.seedState.assign(key.add(tensor([0, 1], [2], "i32")));
    const keep = randomUniform(x.shape, { seed: key, dtype: x.dtype }).greaterEqual(this.rate);
    return where(keep, x.mul(1 / (1 - this.rate)), 0);
  }

  override getConfig(): Config {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

/** [seed, 0]: the initial state of a seed generator. */
class SeedInit extends Initializer {
  constructor(private readonly seed: number) {
    super();
  }
  call(): Tensor {
    return tensor([this.seed, 0], [2], "i32");
  }
}

/** An activation function as a layer. */
export class Activation extends Layer {
  private readonly act: { fn: ActivationFn; name: string };
  constructor(opts: LayerOptions & { activation: ActivationName | ActivationFn }) {
    super(opts);
    this.act = getActivation(opts.activation);
  }
  call(x: Tensor): Tensor {
    return this.act.fn(x);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), activation: this.act.name };
  }
}

/**
 * Keras's LeakyReLU layer: x where x > 0, alpha·x elsewhere. Its default alpha is Keras's layer
 * default 0.3; the function `leakyRelu` (and the "leakyRelu" activation name) default to 0.2, as
 * tf.leakyRelu and keras.activations.leaky_relu.
 */
export class LeakyReLU extends Layer {
  readonly alpha: number;
  constructor(opts: LayerOptions & { alpha?: number } = {}) {
    super(opts);
    this.alpha = opts.alpha ?? 0.3;
  }
  call(x: Tensor): Tensor {
    return leakyRelu(x, this.alpha);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

/** [batch, d1, d2, ...] -> [batch, d1 * d2 * ...]. */
export class Flatten extends Layer {
  call(x: Tensor): Tensor {
    return reshape(x, [x.shape[0]!, -1]);
  }
  override computeOutputShape(s: readonly number[]): number[] {
    return [s[0]!, s.slice(1).reduce((a, b) => a * b, 1)];
  }
}

for (const c of [Dense, Dropout, Activation, Flatten, LeakyReLU]) registerClass(c);
