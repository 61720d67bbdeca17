/** @file Metrics with state in variables (Keras's update_state / result / reset_state): updated eagerly or
 * inside a compiled step, where their accumulators are graph state like any other variable. */
import { argmax, broadcastTo, cast, equal, fill, greater, sum, tensor, variable, where, type Tensor, type Variable } from "../dsl/index.js";
import { broadcastShapes, sizeOf } from "../ir/index.js";
import { sparseLabels } from "./losses.js";
import { registerClass, type Config } from "./serialization.js";

export interface MetricOptions {
  readonly name?: string;
}

/** Base class: state lives in variables made with `addWeight`; `resetState` refills them. */
export abstract class Metric {
  readonly name: string;
  private readonly weights: { name: string; v: Variable; init: number }[] = [];

  constructor(opts: MetricOptions = {}) {
    this.name = opts.name ?? snake(new.target.name);
  }

  /** A float32 state variable (not trainable) starting at `init`. */
  protected addWeight(name: string, shape: readonly number[] = [], init = 0): Variable {
    const v = variable(tensor(new Float32Array(sizeOf(shape)).fill(init), shape), { name: `${this.name}/${name}`, trainable: false });
    this.weights.push({ name, v, init });
    return v;
  }

  abstract updateState(...args: Tensor[]): void;
  abstract result(): Tensor;

  /** Back to the initial state (an assign inside a step, a write eagerly). */
  resetState(): void {
    for (const { v, init } of this.weights) v.assign(fill(v.shape, init, v.dtype));
  }
  /** Keras's older spelling. */
  resetStates(): void {
    this.resetState();
  }

  get variables(): Variable[] {
    return this.weights.map((w) => w.v);
  }

  /** [name, variable] pairs ("total", "count"), for checkpoints. */
  namedVariables(): [string, Variable][] {
    return this.weights.map((w) => [w.name, w.v]);
  }

  getConfig(): Config {
    return { name: this.name };
  }

  static fromConfig<T>(this: new (o: never) => T, config: Config): T {
    return new this(config as never);
  }
}

const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/** A weighted running mean: total += sum(v * w), count += sum(w); result = total / count (0 when empty). */
abstract class Reduce extends Metric {
  protected readonly total: Variable;
  protected readonly count: Variable;
  constructor(opts: MetricOptions = {}) {
    super(opts);
    this.total = this.addWeight("total");
    this.count = this.addWeight("count");
  }
  protected accumulate(values: Tensor, sampleWeight?: Tensor): void {
    let v = cast(values, "f32");
    let n: Tensor;
    if (sampleWeight !== undefined) {
      let w = cast(sampleWeight, "f32");
      // per-sample weights [B] against per-element values [B, ...]: align on the left, as Keras does
      while (w.rank < v.rank) w = w.expandDims(-1);
      const shape = broadcastShapes(v.shape, w.shape, `${this.name}: sample weight`);
      w = broadcastTo(w, shape);
      v = broadcastTo(v, shape).mul(w);
      n = sum(w);
    } else {
      n = fill([], v.size);
    }
    this.total.assign(this.total.add(sum(v)));
    this.count.assign(this.count.add(n));
  }
  result(): Tensor {
    const c = this.count.value;
    return this.total.value.div(where(equal(c, 0), 1, c));
  }
}

/** The mean of every value passed to updateState (weighted by sampleWeight). */
export class Mean extends Reduce {
  updateState(values: Tensor, sampleWeight?: Tensor): void {
    this.accumulate(values, sampleWeight);
  }
}

/** The running sum of the values. */
export class Sum extends Metric {
  private readonly total = this.addWeight("total");
  updateState(values: Tensor, sampleWeight?: Tensor): void {
    const v = cast(values, "f32");
    this.total.assign(this.total.add(sum(sampleWeight === undefined ? v : v.mul(cast(sampleWeight, "f32")))));
  }
  result(): Tensor {
    return this.total.value;
  }
}

/** The mean of `f(yTrue, yPred)` per sample (Keras's MeanMetricWrapper); any per-sample function works. */
export class MeanMetricWrapper extends Reduce {
  constructor(
    private readonly f: (yTrue: Tensor, yPred: Tensor) => Tensor,
    opts: MetricOptions = {},
  ) {
    super(opts);
  }
  updateState(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): void {
    this.accumulate(this.f(yTrue, yPred), sampleWeight);
  }
}

/** 1 where yTrue == yPred, per element. */
export const accuracy = (yTrue: Tensor, yPred: Tensor): Tensor => cast(equal(cast(yTrue, yPred.dtype), yPred), "f32");
/** 1 where (yPred > threshold) == yTrue. */
export const binaryAccuracy = (yTrue: Tensor, yPred: Tensor, threshold = 0.5): Tensor =>
  cast(equal(cast(yTrue, "f32"), cast(greater(yPred, threshold), "f32")), "f32");
/** 1 where argmax(yTrue) == argmax(yPred), per sample. */
export const categoricalAccuracy = (yTrue: Tensor, yPred: Tensor): Tensor => cast(equal(argmax(yTrue, -1), argmax(yPred, -1)), "f32");
/** 1 where the integer label == argmax(yPred), per sample. */
export const sparseCategoricalAccuracy = (yTrue: Tensor, yPred: Tensor): Tensor =>
  cast(equal(sparseLabels("SparseCategoricalAccuracy", yTrue, yPred), argmax(yPred, -1)), "f32");

export class Accuracy extends MeanMetricWrapper {
  constructor(opts: MetricOptions = {}) {
    super(accuracy, opts);
  }
}

export class BinaryAccuracy extends MeanMetricWrapper {
  readonly threshold: number;
  constructor(opts: MetricOptions & { threshold?: number } = {}) {
    const threshold = opts.threshold ?? 0.5;
    super((t, p) => binaryAccuracy(t, p, threshold), opts);
    this.threshold = threshold;
  }
  override getConfig(): Config {
    return { ...super.getConfig(), threshold: this.threshold };
  }
}

export class CategoricalAccuracy extends MeanMetricWrapper {
  constructor(opts: MetricOptions = {}) {
    super(categoricalAccuracy, opts);
  }
}

export class SparseCategoricalAccuracy extends MeanMetricWrapper {
  constructor(opts: MetricOptions = {}) {
    super(sparseCategoricalAccuracy, opts);
  }
}

for (const c of [Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy]) registerClass(c);
