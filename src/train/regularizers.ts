/** @file Weight regularizers (penalties added to the loss), written in the DSL: L1, L2, L1L2 and a subclassable base. */
import { abs, square, sum, scalar, type Tensor } from "../dsl/index.js";
import { UsageError } from "../ir/index.js";
import { deserialize, isSerialized, registerClass, type Config } from "./serialization.js";

/** Subclass with `call(w)` (the penalty of one weight tensor) and `getConfig()`; `apply(w)` evaluates it. */
export abstract class Regularizer {
  abstract call(w: Tensor): Tensor;

  apply(w: Tensor): Tensor {
    return this.call(w);
  }

  getConfig(): Config {
    return {};
  }

  static fromConfig<T>(this: new (o: never) => T, config: Config): T {
    return new this(config as never);
  }
}

/** l1 * sum(|w|)  (default l1 = 0.01, as Keras). */
export class L1 extends Regularizer {
  readonly l1: number;
  constructor(opts: { l1?: number } = {}) {
    super();
    this.l1 = opts.l1 ?? 0.01;
  }
  call(w: Tensor): Tensor {
    return sum(abs(w)).mul(this.l1);
  }
  override getConfig(): Config {
    return { l1: this.l1 };
  }
}

/** l2 * sum(w^2)  (default l2 = 0.01, as Keras; note: no factor 1/2). */
export class L2 extends Regularizer {
  readonly l2: number;
  constructor(opts: { l2?: number } = {}) {
    super();
    this.l2 = opts.l2 ?? 0.01;
  }
  call(w: Tensor): Tensor {
    return sum(square(w)).mul(this.l2);
  }
  override getConfig(): Config {
    return { l2: this.l2 };
  }
}

/** l1 * sum(|w|) + l2 * sum(w^2)  (defaults 0, as Keras's L1L2). */
export class L1L2 extends Regularizer {
  readonly l1: number;
  readonly l2: number;
  constructor(opts: { l1?: number; l2?: number } = {}) {
    super();
    this.l1 = opts.l1 ?? 0;
    this.l2 = opts.l2 ?? 0;
  }
  call(w: Tensor): Tensor {
    let p: Tensor = scalar(0, w.dtype);
    if (this.l1) p = p.add(sum(abs(w)).mul(this.l1));
    if (this.l2) p = p.add(sum(square(w)).mul(this.l2));
    return p;
  }
  override getConfig(): Config {
    return { l1: this.l1, l2: this.l2 };
  }
}

export const l1 = (v = 0.01): L1 => new L1({ l1: v });
export const l2 = (v = 0.01): L2 => new L2({ l2: v });
export const l1l2 = (o: { l1?: number; l2?: number } = {}): L1L2 => new L1L2(o);

/** A regularizer from an instance, a Keras identifier ("l1", "l2", "l1_l2") or a serialized config. */
export function getRegularizer(r: Regularizer | string | Config | undefined | null): Regularizer | undefined {
  if (r === undefined || r === null) return undefined;
  if (r instanceof Regularizer) return r;
  if (isSerialized(r)) return deserialize(r) as unknown as Regularizer;
  switch (r) {
    case "l1": return new L1();
    case "l2": return new L2();
    case "l1_l2": case "l1l2": return new L1L2({ l1: 0.01, l2: 0.01 });
    default: throw new UsageError(`unknown regularizer ${JSON.stringify(r)} (use "l1", "l2", "l1_l2" or a Regularizer)`);
  }
}

registerClass(L1);
registerClass(L2);
registerClass(L1L2);
