/** @file Sequential: a stack of layers, each feeding the next. */
import type { Tensor } from "../../dsl/index.js";
import { UsageError } from "../../ir/index.js";
import { deserialize, registerClass, serialize, type Config, type Serialized } from "../serialization.js";
import { Layer, Model, type CallOptions, type LayerOptions } from "./layer.js";

export class Sequential extends Model {
  private readonly stack: Layer[] = [];

  /** With an `inputShape` on the first layer (or here), the model is built at once. */
  constructor(layers: readonly Layer[] = [], opts: LayerOptions = {}) {
    super(opts);
    for (const l of layers) this.add(l);
    const shape = this.inputShape ?? this.stack[0]?.inputShape;
    if (shape) this.ensureBuilt([-1, ...shape]);
  }

  override get layers(): Layer[] {
    return [...this.stack];
  }

  protected override trackedLayers(): [string, Layer][] {
    return this.stack.map((l, i) => [`layers.${i}`, l]);
  }

  add(layer: Layer): this {
    if (!(layer instanceof Layer)) throw new UsageError(`${this.name}.add: expected a Layer, got ${typeof layer}`);
    this.stack.push(layer);
    if (this.built) this.built = false;
    return this;
  }

  /** Builds every layer in turn, propagating shapes with computeOutputShape. */
  override build(inputShape: readonly number[]): void {
    let s = [...inputShape];
    for (const l of this.stack) {
      l.ensureBuilt(s);
      s = l.computeOutputShape(s);
    }
  }

  override computeOutputShape(inputShape: readonly number[]): number[] {
    return this.stack.reduce((s, l) => l.computeOutputShape(s), [...inputShape]);
  }

  call(x: Tensor, opts: CallOptions): Tensor {
    return this.stack.reduce((h, l) => l.apply(h, opts), x);
  }

  override getConfig(): Config {
    return { ...super.getConfig(), layers: this.stack.map((l) => serialize(l) as unknown as Config) };
  }

  static override fromConfig<T>(this: new (o: never) => T, config: Config): T {
    const layers = ((config.layers ?? []) as unknown as Serialized[]).map((s) => deserialize<Layer>(s));
    const { layers: _l, ...rest } = config;
    return new (this as unknown as typeof Sequential)(layers, rest as LayerOptions) as unknown as T;
  }
}

registerClass(Sequential);
