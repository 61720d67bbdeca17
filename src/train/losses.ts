/** @file Losses as Keras defines them, written in the DSL (so their gradients and fusion come for free):
 * a base `Loss` whose subclasses implement `call(yTrue, yPred)` per sample, and `apply` reduces. */
import { abs, cast, clipByValue, log, logicalAnd, logSoftmax, mean, minimum, neg, oneHot, softplusParts, square, sum, where, type Tensor } from "../dsl/index.js";
import { broadcastShapes, isFloat, ShapeError, shapeStr, UsageError } from "../ir/index.js";
import { registerClass, type Config } from "./serialization.js";

/** How per-sample losses become one number (Keras's reduction names). */
export type Reduction = "sum_over_batch_size" | "mean" | "sum" | "none";
const REDUCTIONS: readonly Reduction[] = ["sum_over_batch_size", "mean", "sum", "none"];

/** Keras's backend epsilon: probabilities are clipped to [EPSILON, 1 - EPSILON] before the log. */
export const EPSILON = 1e-7;

export interface LossOptions {
  readonly reduction?: Reduction;
  readonly name?: string;
}

/**
 * Subclass with `call(yTrue, yPred)` returning per-sample losses (or already a scalar, as the seed's
 * CustomMSE does); call `apply(yTrue, yPred, sampleWeight?)` to weight and reduce them.
 */
export abstract class Loss {
  readonly reduction: Reduction;
  readonly name: string;

  constructor(opts: LossOptions = {}) {
    this.reduction = opts.reduction ?? "sum_over_batch_size";
    if (!REDUCTIONS.includes(this.reduction)) throw new UsageError(`${new.target.name}: unknown reduction '${this.reduction}' (use ${REDUCTIONS.join(", ")})`);
    this.name = opts.name ?? snake(new.target.name);
  }

  abstract call(yTrue: Tensor, yPred: Tensor): Tensor;

  /** The loss: call(), times sampleWeight (broadcast), reduced. `sum_over_batch_size` divides by the element count. */
  apply(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | number): Tensor {
    let l = this.call(yTrue, yPred);
    if (sampleWeight !== undefined) {
      let w = typeof sampleWeight === "number" ? sampleWeight : cast(sampleWeight, l.dtype);
      // a per-sample weight [B] meets per-sample losses [B]; [B,1] weights against [B] losses squeeze
      if (typeof w !== "number" && w.rank > l.rank && w.shape.slice(l.rank).every((d) => d === 1)) w = w.reshape(l.shape);
      if (typeof w !== "number") broadcastShapes(l.shape, w.shape, `${this.name}: sample weight`);
      l = l.mul(w);
    }
    return reduce(l, this.reduction);
  }

  getConfig(): Config {
    return { name: this.name, reduction: this.reduction };
  }

  static fromConfig<T>(this: new (o: never) => T, config: Config): T {
    return new this(config as never);
  }
}

export function reduce(l: Tensor, reduction: Reduction): Tensor {
  switch (reduction) {
    case "none": return l;
    case "sum": return sum(l);
    case "mean":
    case "sum_over_batch_size": return l.rank === 0 ? l : mean(l);
    default: return reduction satisfies never;
  }
}

const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

function checkPair(name: string, yTrue: Tensor, yPred: Tensor): Tensor {
  if (!isFloat(yPred.dtype)) throw new ShapeError(`${name}: predictions must be float, got ${yPred.dtype}${shapeStr(yPred.shape)}`);
  const t = yTrue.dtype === yPred.dtype ? yTrue : cast(yTrue, yPred.dtype);
  broadcastShapes(t.shape, yPred.shape, `${name}: yTrue ${shapeStr(yTrue.shape)} vs yPred ${shapeStr(yPred.shape)}`);
  return t;
}

// ---- per-sample functions (Keras's keras.losses.mean_squared_error and friends) ----------------

/** mean((yTrue - yPred)^2, -1) */
export const meanSquaredError = (yTrue: Tensor, yPred: Tensor): Tensor => mean(square(checkPair("meanSquaredError", yTrue, yPred).sub(yPred)), -1);
/** mean(|yTrue - yPred|, -1) */
export const meanAbsoluteError = (yTrue: Tensor, yPred: Tensor): Tensor => mean(abs(checkPair("meanAbsoluteError", yTrue, yPred).sub(yPred)), -1);

/** mean over -1 of 0.5 e^2 where |e| <= delta, else delta (|e| - delta/2). */
export function huber(yTrue: Tensor, yPred: Tensor, delta = 1): Tensor {
  const e = abs(checkPair("huber", yTrue, yPred).sub(yPred));
  const q = minimum(e, delta); // the quadratic part, capped at delta
  return mean(q.square().mul(0.5).add(e.sub(q).mul(delta)), -1);
}

/**
 * mean over -1 of -(y log p + (1-y) log(1-p)). From logits x it is max(x,0) - x y + log(1 + e^-|x|),
 * which never overflows; from probabilities p is clipped to [eps, 1-eps] as in Keras.
 */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor, fromLogits = false, labelSmoothing = 0): Tensor {
  let y = checkPair("binaryCrossentropy", yTrue, yPred);
  if (labelSmoothing) y = y.mul(1 - labelSmoothing).add(0.5 * labelSmoothing);
  if (fromLogits) {
    // TF's max(x,0) - x y + log1p(e^-|x|), through softplusParts so the gradient at x = 0 is 0.5 - y
    const { lin, tail } = softplusParts(yPred);
    return mean(lin.sub(yPred.mul(y)).add(tail), -1);
  }
  const p = clipByValue(yPred, EPSILON, 1 - EPSILON);
  const ll = y.mul(log(p.add(EPSILON))).add(neg(y).add(1).mul(log(neg(p).add(1 + EPSILON))));
  return mean(neg(ll), -1);
}

/** -sum(y log p, axis): from logits with logSoftmax; from probabilities after renormalizing and clipping. */
export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, fromLogits = false, labelSmoothing = 0, axis = -1): Tensor {
  let y = checkPair("categoricalCrossentropy", yTrue, yPred);
  if (labelSmoothing) {
    const k = yPred.shape.at(axis)!;
    y = y.mul(1 - labelSmoothing).add(labelSmoothing / k);
  }
  return neg(sum(y.mul(logProbs(yPred, fromLogits, axis)), axis));
}

/**
 * -log p[label] for integer labels (any float labels are cast); labels may have a trailing axis of 1.
 * From probabilities it is Keras's: log-softmax of log(clip(p, eps, 1 - eps)), i.e. clip first, then
 * normalize by the clipped row's sum (tf.keras's backend and keras/src/backend/tensorflow/nn.py).
 * A label outside [0, classes) raises eagerly (naming it, its position and the class count); in a
 * compiled step its row's loss is NaN (as TF on GPU), which `fn(..., { checkNumerics: true })` reports.
 */
export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor, fromLogits = false, axis = -1): Tensor {
  if (axis !== -1 && axis !== yPred.rank - 1) throw new UsageError("sparseCategoricalCrossentropy: only the last axis holds classes");
  const labels = sparseLabels("sparseCategoricalCrossentropy", yTrue, yPred);
  const classes = yPred.shape.at(-1)!;
  if (!labels.isSymbolic) checkLabelRange("SparseCategoricalCrossentropy", labels, classes);
  const hot = oneHot(labels, classes, { dtype: yPred.dtype });
  const logp = fromLogits ? logSoftmax(yPred, -1) : logSoftmax(log(clipByValue(yPred, EPSILON, 1 - EPSILON)), -1);
  const l = neg(sum(hot.mul(logp), -1));
  if (!labels.isSymbolic) return l;
  // one comparison per row: an out-of-range label would otherwise give a silent loss of 0
  return where(logicalAnd(labels.greaterEqual(0), labels.less(classes)), l, NaN);
}

/** Keras's InvalidArgumentError for labels, eagerly: the first bad label, where it is, and the class count. */
function checkLabelRange(name: string, labels: Tensor, classes: number): void {
  const d = labels.dataSync();
  const i = d.findIndex((v) => !(v >= 0 && v < classes));
  if (i < 0) return;
  const at = labels.shape.map((_, k) => Math.floor(i / labels.shape.slice(k + 1).reduce((a, b) => a * b, 1)) % labels.shape[k]!);
  throw new UsageError(`${name}: label ${d[i]} at position [${at.join(",")}] is outside [0, ${classes}) (${classes} classes)`);
}

/** Labels as i32 of yPred's shape without its class axis. */
export function sparseLabels(name: string, yTrue: Tensor, yPred: Tensor): Tensor {
  let y = yTrue;
  if (y.rank === yPred.rank && y.shape.at(-1) === 1) y = y.reshape(y.shape.slice(0, -1));
  const want = yPred.shape.slice(0, -1);
  if (y.rank !== want.length || y.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${name}: labels ${shapeStr(yTrue.shape)} do not match predictions ${shapeStr(yPred.shape)} (expected ${shapeStr(want)} class indices)`);
  }
  return cast(y, "i32");
}

function logProbs(yPred: Tensor, fromLogits: boolean, axis: number): Tensor {
  if (fromLogits) return logSoftmax(yPred, axis);
  const p = yPred.div(sum(yPred, axis, true));
  return log(clipByValue(p, EPSILON, 1 - EPSILON));
}

// ---- the classes ---------------------------------------------------------------------------

export class MeanSquaredError extends Loss {
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return meanSquaredError(yTrue, yPred);
  }
}

export class MeanAbsoluteError extends Loss {
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return meanAbsoluteError(yTrue, yPred);
  }
}

export class Huber extends Loss {
  readonly delta: number;
  constructor(opts: LossOptions & { delta?: number } = {}) {
    super(opts);
    this.delta = opts.delta ?? 1;
  }
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return huber(yTrue, yPred, this.delta);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), delta: this.delta };
  }
}

export interface CrossentropyOptions extends LossOptions {
  /** yPred holds logits (unnormalized scores), not probabilities. */
  readonly fromLogits?: boolean;
  readonly labelSmoothing?: number;
}

export class BinaryCrossentropy extends Loss {
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  constructor(opts: CrossentropyOptions = {}) {
    super(opts);
    this.fromLogits = opts.fromLogits ?? false;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return binaryCrossentropy(yTrue, yPred, this.fromLogits, this.labelSmoothing);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing };
  }
}

export class CategoricalCrossentropy extends Loss {
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  readonly axis: number;
  constructor(opts: CrossentropyOptions & { axis?: number } = {}) {
    super(opts);
    this.fromLogits = opts.fromLogits ?? false;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
    this.axis = opts.axis ?? -1;
  }
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return categoricalCrossentropy(yTrue, yPred, this.fromLogits, this.labelSmoothing, this.axis);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing, axis: this.axis };
  }
}

export class SparseCategoricalCrossentropy extends Loss {
  readonly fromLogits: boolean;
  constructor(opts: LossOptions & { fromLogits?: boolean } = {}) {
    super(opts);
    this.fromLogits = opts.fromLogits ?? false;
  }
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    return sparseCategoricalCrossentropy(yTrue, yPred, this.fromLogits);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), fromLogits: this.fromLogits };
  }
}

for (const c of [MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy]) registerClass(c);
