/** @file Layer and Model: Keras-style building blocks that own variables, build lazily from the first input,
 * and are called as `apply(x, { training })` (their `call` is what subclasses write). */
import { variable, type Tensor, type Variable } from "../../dsl/index.js";
import { parseDType, UsageError, type DType } from "../../ir/index.js";
import { getInitializer, type Initializer } from "../initializers.js";
import { getRegularizer, type Regularizer } from "../regularizers.js";
import type { Config } from "../serialization.js";

export interface CallOptions {
  /** Training mode (Dropout drops only when true). Default false. */
  readonly training?: boolean;
}

export interface LayerOptions {
  readonly name?: string;
  readonly trainable?: boolean;
  /** The input shape without the batch axis; lets a Sequential model build before its first call. */
  readonly inputShape?: readonly number[];
}

export interface WeightOptions {
  readonly initializer?: Initializer | string;
  readonly dtype?: DType | "float32" | "float64" | "int32";
  readonly trainable?: boolean;
  readonly regularizer?: Regularizer | string;
}

const layerCounts = new Map<string, number>();
/** dense, dense_1, ... per class, as Keras names layers. */
function uniqueLayerName(cls: string): string {
  const base = cls.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  const n = layerCounts.get(base) ?? 0;
  layerCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

interface Weight {
  readonly name: string;
  readonly v: Variable;
  readonly trainable: boolean;
  readonly regularizer?: Regularizer;
}

export abstract class Layer {
  readonly name: string;
  /** When false, none of this layer's variables (sublayers included) are trainable variables. */
  trainable: boolean;
  readonly inputShape?: readonly number[];
  built = false;
  private readonly ownWeights: Weight[] = [];

  constructor(opts: LayerOptions = {}) {
    this.name = opts.name ?? uniqueLayerName(new.target.name);
    this.trainable = opts.trainable ?? true;
    if (opts.inputShape) this.inputShape = [...opts.inputShape];
  }

  /** Creates the weights once the input shape is known (called by `apply` before the first `call`). */
  build(_inputShape: readonly number[]): void {}

  /** The computation; subclasses write it with DSL ops. */
  abstract call(x: Tensor, opts: CallOptions): Tensor;

  /** The output shape for an input shape (used to build a Sequential model ahead of its first call). */
  computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  /** Builds on first use, then runs `call` (Keras's `layer(x, training=...)`). */
  apply(x: Tensor, opts: CallOptions = {}): Tensor {
    this.ensureBuilt(x.shape);
    return this.call(x, opts);
  }

  /** Builds now from a full input shape (batch axis included; its size is not used). */
  ensureBuilt(inputShape: readonly number[]): void {
    if (this.built) return;
    this.build(inputShape);
    this.built = true;
  }

  /** A variable owned by this layer; its initial value is computed eagerly (even during a trace). */
  addWeight(name: string, shape: readonly number[], opts: WeightOptions = {}): Variable {
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new UsageError(`${this.name}: weight '${name}' has an unknown or bad shape [${shape}] (build the layer with a concrete input shape)`);
    const dtype = parseDType(opts.dtype ?? "f32");
    const init = getInitializer(opts.initializer ?? (dtype === "i32" ? "zeros" : "glorotUniform"));
    const trainable = opts.trainable ?? true;
    const v = variable(init.apply(shape, dtype), { name: `${this.name}/${name}`, trainable, dtype });
    const regularizer = getRegularizer(opts.regularizer);
    this.ownWeights.push({ name, v, trainable, ...(regularizer ? { regularizer } : {}) });
    return v;
  }

  /** Layers held in this layer's own properties (directly or in arrays): Keras's automatic tracking. */
  get layers(): Layer[] {
    const out: Layer[] = [];
    for (const [, l] of this.trackedLayers()) if (!out.includes(l)) out.push(l);
    return out;
  }

  /** [path, layer] for each sublayer; Sequential overrides it to name its stack "layers.i". */
  protected trackedLayers(): [string, Layer][] {
    const out: [string, Layer][] = [];
    for (const [k, val] of Object.entries(this)) {
      if (val instanceof Layer && val !== this) out.push([k, val]);
      else if (Array.isArray(val)) val.forEach((x, i) => x instanceof Layer && x !== this && out.push([`${k}.${i}`, x]));
    }
    return out;
  }

  /** Every variable with a stable path ("layers.0.kernel", "encoder.dense.bias"): checkpoints key on these. */
  namedVariables(prefix = "", seen = new Set<Variable>()): [string, Variable][] {
    const out: [string, Variable][] = [];
    for (const w of this.ownWeights) {
      if (seen.has(w.v)) continue;
      seen.add(w.v);
      out.push([`${prefix}${w.name}`, w.v]);
    }
    for (const [k, l] of this.trackedLayers()) out.push(...l.namedVariables(`${prefix}${k}.`, seen));
    return out;
  }

  private collect(pick: (w: Weight, trainable: boolean) => boolean, trainable = this.trainable, seen = new Set<Variable>(), out: Variable[] = []): Variable[] {
    for (const w of this.ownWeights) {
      if (!seen.has(w.v) && pick(w, trainable)) {
        seen.add(w.v);
        out.push(w.v);
      }
    }
    for (const l of this.layers) l.collect(pick, trainable && l.trainable, seen, out);
    return out;
  }

  /** Variables the optimizer updates (Keras's trainable_weights / trainable_variables). */
  get trainableVariables(): Variable[] {
    return this.collect((w, t) => t && w.trainable);
  }
  get nonTrainableVariables(): Variable[] {
    return this.collect((w, t) => !(t && w.trainable));
  }
  /** All variables, trainable first. */
  get variables(): Variable[] {
    return [...this.trainableVariables, ...this.nonTrainableVariables];
  }
  get trainableWeights(): Variable[] {
    return this.trainableVariables;
  }
  get weights(): Variable[] {
    return this.variables;
  }

  /** Regularization penalties of every weight (computed from the current values; add them to the loss). */
  get losses(): Tensor[] {
    const out: Tensor[] = [];
    const seen = new Set<Variable>();
    const walk = (l: Layer): void => {
      for (const w of l.ownWeights) {
        if (w.regularizer && !seen.has(w.v)) {
          seen.add(w.v);
          out.push(w.regularizer.apply(w.v.value));
        }
      }
      l.layers.forEach(walk);
    };
    walk(this);
    return out;
  }

  /** Number of scalars in all variables. */
  countParams(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  getConfig(): Config {
    return { name: this.name, trainable: this.trainable, ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}) };
  }

  static fromConfig<T>(this: new (o: never) => T, config: Config): T {
    return new this(config as never);
  }
}

/**
 * The base for subclassed models: create layers in the constructor, write `call(x, { training })`;
 * `apply` runs it, `trainableVariables` collects every tracked layer's variables.
 */
export abstract class Model extends Layer {
  /** `apply` in inference mode. */
  predict(x: Tensor): Tensor {
    return this.apply(x, { training: false });
  }

  /** One line per layer: name, class, parameter count. */
  summary(print: (line: string) => void = console.log): void {
    print(`Model: ${this.name}`);
    for (const l of this.layers) print(`  ${l.name.padEnd(20)} ${l.constructor.name.padEnd(12)} ${l.built ? l.countParams() : "(not built)"}`);
    print(`Total params: ${this.countParams()}`);
  }
}
