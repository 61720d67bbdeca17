/** @file Weight initializers (Keras's): seeded through graft's counter-based random ops, so the same seed
 * gives the same weights on every backend and platform. They always run eagerly, even mid-trace. */
import { fill, randomNormal, randomUniform, tensor, type Tensor } from "../dsl/index.js";
import { outsideTrace } from "../dsl/trace.js";
import { parseDType, UsageError, type DType } from "../ir/index.js";
import { deserialize, isSerialized, registerClass, type Config } from "./serialization.js";
import { mulberry32 } from "./data.js";

let globalRand: (() => number) | undefined;
/**
 * Makes unseeded initializers (and unseeded Dropout layers) deterministic from here on, like
 * keras.utils.set_random_seed. Without it they draw from Math.random.
 */
export function setRandomSeed(seed: number): void {
  globalRand = mulberry32(seed);
}
/** A fresh 31-bit seed: from setRandomSeed's sequence, or Math.random. */
export function drawSeed(): number {
  return Math.floor((globalRand ?? Math.random)() * 2 ** 31);
}

/** Keras's fans: [fanIn, fanOut] for dense kernels; conv kernels multiply by the receptive field. */
export function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape.at(-2)! * receptive, shape.at(-1)! * receptive];
}

export abstract class Initializer {
  /** Values for a weight of this shape and dtype. */
  abstract call(shape: readonly number[], dtype: DType): Tensor;

  /** `call`, always eager (initial values of variables must be concrete). */
  apply(shape: readonly number[], dtype: DType | "float32" | "float64" | "int32" = "f32"): Tensor {
    return outsideTrace(() => this.call(shape, parseDType(dtype)));
  }

  getConfig(): Config {
    return {};
  }

  static fromConfig<T>(this: new (o: never) => T, config: Config): T {
    return new this(config as never);
  }
}

/**
 * Seeded initializers derive key (seed, k) for their k-th call, so one seeded initializer shared by two
 * layers gives them different (but reproducible) weights.
 */
abstract class RandomInitializer extends Initializer {
  readonly seed?: number;
  private calls = 0;
  constructor(opts: { seed?: number } = {}) {
    super();
    if (opts.seed !== undefined) this.seed = opts.seed;
  }
  protected nextKey(): Tensor {
    return tensor([(this.seed ?? drawSeed()) | 0, this.calls++], [2], "i32");
  }
  override getConfig(): Config {
    return this.seed === undefined ? {} : { seed: this.seed };
  }
}

export class Zeros extends Initializer {
  call(shape: readonly number[], dtype: DType): Tensor {
    return fill(shape, 0, dtype);
  }
}

export class Ones extends Initializer {
  call(shape: readonly number[], dtype: DType): Tensor {
    return fill(shape, 1, dtype);
  }
}

export class Constant extends Initializer {
  readonly value: number;
  constructor(opts: { value?: number } = {}) {
    super();
    this.value = opts.value ?? 0;
  }
  call(shape: readonly number[], dtype: DType): Tensor {
    return fill(shape, this.value, dtype);
  }
  override getConfig(): Config {
    return { value: this.value };
  }
}

export class RandomUniform extends RandomInitializer {
  readonly minval: number;
  readonly maxval: number;
  constructor(opts: { minval?: number; maxval?: number; seed?: number } = {}) {
    super(opts);
    this.minval = opts.minval ?? -0.05;
    this.maxval = opts.maxval ?? 0.05;
  }
  call(shape: readonly number[], dtype: DType): Tensor {
    return randomUniform(shape, { seed: this.nextKey(), minval: this.minval, maxval: this.maxval, dtype });
  }
  override getConfig(): Config {
    return { ...super.getConfig(), minval: this.minval, maxval: this.maxval };
  }
}

export class RandomNormal extends RandomInitializer {
  readonly mean: number;
  readonly stddev: number;
  constructor(opts: { mean?: number; stddev?: number; seed?: number } = {}) {
    super(opts);
    this.mean = opts.mean ?? 0;
    this.stddev = opts.stddev ?? 0.05;
  }
  call(shape: readonly number[], dtype: DType): Tensor {
    return randomNormal(shape, { seed: this.nextKey(), mean: this.mean, stddev: this.stddev, dtype });
  }
  override getConfig(): Config {
    return { ...super.getConfig(), mean: this.mean, stddev: this.stddev };
  }
}

/** Normal numbers redrawn until within two standard deviations (Keras's truncated normal). */
export function truncatedNormal(shape: readonly number[], stddev: number, key: Tensor, dtype: DType): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  const done = new Uint8Array(n);
  let left = n;
  const [k0, k1] = Array.from(key.dataSync());
  // round r uses key (k0, k1 + r * 2^20): independent streams, the same on every run
  for (let r = 0; left > 0; r++) {
    if (r > 64) throw new UsageError("truncatedNormal: could not draw enough values (this should not happen)");
    const z = randomNormal([n], { seed: tensor([k0!, (k1! + r * 1048576) | 0], [2], "i32"), dtype: "f64" }).dataSync();
    for (let i = 0; i < n; i++) {
      if (done[i] || Math.abs(z[i]!) > 2) continue;
      out[i] = z[i]! * stddev;
      done[i] = 1;
      left--;
    }
  }
  return tensor(out, shape, dtype);
}

export class TruncatedNormal extends RandomInitializer {
  readonly stddev: number;
  constructor(opts: { stddev?: number; seed?: number } = {}) {
    super(opts);
    this.stddev = opts.stddev ?? 0.05;
  }
  call(shape: readonly number[], dtype: DType): Tensor {
    return truncatedNormal(shape, this.stddev, this.nextKey(), dtype);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), stddev: this.stddev };
  }
}

export type FanMode = "fanIn" | "fanOut" | "fanAvg";
export type Distribution = "truncatedNormal" | "untruncatedNormal" | "uniform";

/** Keras's VarianceScaling: variance scale / n, n the fan chosen by `mode`. */
export class VarianceScaling extends RandomInitializer {
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;
  constructor(opts: { scale?: number; mode?: FanMode; distribution?: Distribution; seed?: number } = {}) {
    super(opts);
    this.scale = opts.scale ?? 1;
    this.mode = opts.mode ?? "fanIn";
    this.distribution = opts.distribution ?? "truncatedNormal";
  }
  call(shape: readonly number[], dtype: DType): Tensor {
    const [fanIn, fanOut] = computeFans(shape);
    const n = Math.max(1, this.mode === "fanIn" ? fanIn : this.mode === "fanOut" ? fanOut : (fanIn + fanOut) / 2);
    const variance = this.scale / n;
    const key = this.nextKey();
    switch (this.distribution) {
      // 0.8796...: the stddev of a unit normal truncated to [-2, 2], divided out so the variance is right
      case "truncatedNormal": return truncatedNormal(shape, Math.sqrt(variance) / 0.87962566103423978, key, dtype);
      case "untruncatedNormal": return randomNormal(shape, { seed: key, stddev: Math.sqrt(variance), dtype });
      case "uniform": {
        const limit = Math.sqrt(3 * variance);
        return randomUniform(shape, { seed: key, minval: -limit, maxval: limit, dtype });
      }
      default: return this.distribution satisfies never;
    }
  }
  override getConfig(): Config {
    return { ...super.getConfig(), scale: this.scale, mode: this.mode, distribution: this.distribution };
  }
}

/** Uniform in ±sqrt(6 / (fanIn + fanOut)). */
export class GlorotUniform extends VarianceScaling {
  constructor(opts: { seed?: number } = {}) {
    super({ ...opts, scale: 1, mode: "fanAvg", distribution: "uniform" });
  }
}
/** Truncated normal with variance 2 / (fanIn + fanOut). */
export class GlorotNormal extends VarianceScaling {
  constructor(opts: { seed?: number } = {}) {
    super({ ...opts, scale: 1, mode: "fanAvg", distribution: "truncatedNormal" });
  }
}
/** Truncated normal with variance 2 / fanIn (for ReLU layers). */
export class HeNormal extends VarianceScaling {
  constructor(opts: { seed?: number } = {}) {
    super({ ...opts, scale: 2, mode: "fanIn", distribution: "truncatedNormal" });
  }
}
/** Uniform in ±sqrt(6 / fanIn). */
export class HeUniform extends VarianceScaling {
  constructor(opts: { seed?: number } = {}) {
    super({ ...opts, scale: 2, mode: "fanIn", distribution: "uniform" });
  }
}

export const zeros = (): Zeros => new Zeros();
export const ones = (): Ones => new Ones();
export const constant = (o: { value?: number } = {}): Constant => new Constant(o);
export const glorotUniform = (o: { seed?: number } = {}): GlorotUniform => new GlorotUniform(o);
export const glorotNormal = (o: { seed?: number } = {}): GlorotNormal => new GlorotNormal(o);
export const heNormal = (o: { seed?: number } = {}): HeNormal => new HeNormal(o);
export const heUniform = (o: { seed?: number } = {}): HeUniform => new HeUniform(o);

const BY_NAME: Record<string, () => Initializer> = {
  zeros: zeros, ones: ones,
  glorotuniform: glorotUniform, glorotnormal: glorotNormal, henormal: heNormal, heuniform: heUniform,
  randomnormal: () => new RandomNormal(), randomuniform: () => new RandomUniform(), truncatednormal: () => new TruncatedNormal(),
};

/** An initializer from an instance, a name ("glorotUniform", "glorot_uniform", "zeros", ...) or a config. */
export function getInitializer(init: Initializer | string | Config): Initializer {
  if (init instanceof Initializer) return init;
  if (isSerialized(init)) return deserialize(init) as unknown as Initializer;
  const make = typeof init === "string" ? BY_NAME[init.replace(/_/g, "").toLowerCase()] : undefined;
  if (!make) throw new UsageError(`unknown initializer ${JSON.stringify(init)} (known: ${Object.keys(BY_NAME).join(", ")})`);
  return make();
}

for (const c of [Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform]) registerClass(c);
