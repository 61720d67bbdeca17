/** @file The base Optimizer: hyperparameters, named slots per variable, an in-graph iteration counter, and
 * applyGradients, which writes the update rule into the step being traced (or into a small compiled step
 * of its own when called eagerly), so updates fuse instead of running op by op. */
import { apply, cast, currentTrace, fn, gradients, isVariable, tensor, variable, Tensor, Variable, type CompiledFn } from "../../dsl/index.js";
import { outsideTrace } from "../../dsl/trace.js";
import { DTypeError, GraftError, isFloat, sameShape, ShapeError, shapeStr, sizeOf, UsageError, type DType } from "../../ir/index.js";
import { deserialize, isSerialized, serialize, type Config } from "../serialization.js";
import { LearningRateSchedule } from "./schedules.js";
import { clipByGlobalNorm, clipByNorm, clipByValue } from "./clipping.js";

/**
 * A sparse gradient: `values[j]` is the gradient of row `indices[j]` of a variable of `denseShape`
 * (what the gradient of `gather` is in TensorFlow). Rows may repeat; their values add up.
 */
export class IndexedSlices {
  constructor(
    readonly indices: Tensor,
    readonly values: Tensor,
    readonly denseShape: readonly number[],
  ) {
    if (indices.dtype !== "i32" || indices.rank !== 1) throw new ShapeError(`IndexedSlices: indices must be i32[n], got ${indices.dtype}${shapeStr(indices.shape)}`);
    if (values.shape[0] !== indices.shape[0] || !sameShape(values.shape.slice(1), denseShape.slice(1))) {
      throw new ShapeError(`IndexedSlices: values ${shapeStr(values.shape)} do not fit ${indices.shape[0]} indices into rows of ${shapeStr(denseShape)}`);
    }
  }
  /** The dense gradient: each row's values summed into zeros (scatter_add). */
  toDense(): Tensor {
    return apply("scatter_add", [this.values, this.indices], { axis: 0, size: this.denseShape[0]! });
  }
}

export type Gradient = Tensor | IndexedSlices;
/** One `[gradient, variable]` pair, as Keras's `zip(grads, vars)` gives; a null gradient is skipped. */
export type GradAndVar = readonly [Gradient | null | undefined, Variable];

/** `zip(grads, vars)`: the pairs applyGradients takes. */
export function zip(grads: readonly (Gradient | null | undefined)[], vars: readonly Variable[]): GradAndVar[] {
  if (grads.length !== vars.length) throw new UsageError(`zip: ${grads.length} gradients for ${vars.length} variables`);
  return vars.map((v, i) => [grads[i], v] as const);
}

export interface OptimizerOptions {
  /** A number (kept in a variable, so it can be changed between steps) or a schedule of the step. */
  readonly learningRate?: number | LearningRateSchedule | Config;
  /** Keras's alias for learningRate. */
  readonly lr?: number | LearningRateSchedule;
  /** Keras's legacy time-based decay: lr_t = lr / (1 + decay * iterations). */
  readonly decay?: number;
  /** Clip every gradient element to [-clipValue, clipValue]. */
  readonly clipValue?: number;
  /** Rescale each gradient whose L2 norm exceeds clipNorm. */
  readonly clipNorm?: number;
  /** Rescale all gradients together when their global L2 norm exceeds globalClipNorm. */
  readonly globalClipNorm?: number;
  readonly name?: string;
}

/** What an update rule receives besides the gradient and the variable. */
export interface UpdateContext {
  /** The decayed learning rate, in the variable's dtype. */
  readonly lr: Tensor;
  /** Steps applied before this one (i32 scalar): 0 on the first step. */
  readonly iterations: Tensor;
  /** This step's number, iterations + 1, in the variable's dtype (for bias corrections). */
  readonly step: Tensor;
}

interface EagerGrad {
  readonly dense?: Tensor;
  readonly indices?: Tensor;
  readonly values?: Tensor;
}

/**
 * Subclass it with `createSlots(vars)` (call `addSlot` per variable) and `applyDense(grad, v, ctx)`,
 * a rule written with DSL ops that either assigns `v` (and its slots) or returns the new value of `v`.
 */
export abstract class Optimizer {
  readonly name: string;
  /** Steps applied so far: state of the compiled step, so "first step" logic is decided in-graph. */
  readonly iterations: Variable;
  readonly decay: number;
  readonly clipValue?: number;
  readonly clipNorm?: number;
  readonly globalClipNorm?: number;
  private lrVar?: Variable;
  /** The number the rate was given as: configs return it, not its f32 rounding in lrVar (0.3, not 0.30000001192092896). */
  private lrGiven?: number;
  private lrSchedule?: LearningRateSchedule;
  private readonly slots = new Map<Variable, Map<string, Variable>>();
  private readonly eagerSteps = new Map<string, CompiledFn<[(EagerGrad | null)[]], void>>();
  /** The per-step values shared by every variable's rule, valid while applyGradients traces. */
  private stepCache?: { iterations: Tensor; lr: Map<DType, Tensor> };

  /** `defaultLr` is the subclass's Keras default (SGD 0.01, the others 0.001); an explicit `undefined` means it. */
  constructor(opts: OptimizerOptions = {}, defaultName = "Optimizer", defaultLr = 0.001) {
    this.name = opts.name ?? defaultName;
    const lr = opts.lr ?? opts.learningRate ?? defaultLr;
    if (lr instanceof LearningRateSchedule) this.lrSchedule = lr;
    else if (isSerialized(lr)) this.lrSchedule = deserialize(lr) as unknown as LearningRateSchedule;
    else if (typeof lr === "number") {
      this.lrVar = variable(tensor(lr, [], "f32"), { name: `${this.name}/learning_rate`, trainable: false });
      this.lrGiven = lr;
    } else throw new UsageError(`${this.name}: learningRate must be a number or a LearningRateSchedule`);
    this.decay = opts.decay ?? 0;
    for (const k of ["clipValue", "clipNorm", "globalClipNorm"] as const) {
      const c = opts[k];
      if (c === undefined) continue;
      if (!(c > 0)) throw new UsageError(`${this.name}: ${k} must be > 0, got ${c}`);
      this[k] = c;
    }
    if (this.clipNorm !== undefined && this.globalClipNorm !== undefined) throw new UsageError(`${this.name}: set clipNorm or globalClipNorm, not both`);
    this.iterations = variable(tensor(0, [], "i32"), { name: `${this.name}/iterations`, trainable: false });
  }

  // ---- the hooks a subclass writes ---------------------------------------------------------

  /** Creates the slots of new variables (Keras's `_create_slots`). Runs eagerly, once per variable. */
  protected createSlots(_vars: readonly Variable[]): void {}

  /** The dense update rule (Keras's `_resource_apply_dense`): assign `v` or return its new value. */
  protected abstract applyDense(grad: Tensor, v: Variable, ctx: UpdateContext): Tensor | void;

  /** The sparse rule. By default a clear error: a subclass either supports rows or says so. */
  protected applySparse(_grad: IndexedSlices, v: Variable, _ctx: UpdateContext): Tensor | void {
    throw new GraftError(`${this.name}: sparse (gather) gradients are not supported by ${this.constructor.name} (variable '${v.name}'); pass grad.toDense() or override applySparse`, "sparse");
  }

  /**
   * Densify (scatter_add the rows) and apply the dense rule: for SGD this is exactly the row update;
   * for Adam every row's moments decay, as in TensorFlow's sparse Adam.
   */
  protected applySparseAsDense(grad: IndexedSlices, v: Variable, ctx: UpdateContext): Tensor | void {
    return this.applyDense(grad.toDense(), v, ctx);
  }

  // ---- slots and hyperparameters -----------------------------------------------------------

  /** A per-variable state tensor named `slotName`, filled with `init` (Keras's `add_slot`). */
  addSlot(v: Variable, slotName: string, init = 0): Variable {
    let byName = this.slots.get(v);
    if (!byName) this.slots.set(v, (byName = new Map()));
    const existing = byName.get(slotName);
    if (existing) return existing;
    const data = tensor(new Float64Array(sizeOf(v.shape)).fill(init), v.shape, v.dtype);
    const s = variable(data, { name: `${v.name}/${slotName}`, trainable: false });
    byName.set(slotName, s);
    return s;
  }

  getSlot(v: Variable, slotName: string): Variable {
    const s = this.slots.get(v)?.get(slotName);
    if (!s) {
      const have = [...(this.slots.get(v)?.keys() ?? [])];
      throw new UsageError(`${this.name}: variable '${v.name}' has no slot '${slotName}' (slots: ${have.length ? have.join(", ") : "none; create them in createSlots"})`);
    }
    return s;
  }

  /** Slot names of a variable, in creation order. */
  slotNames(v: Variable): string[] {
    return [...(this.slots.get(v)?.keys() ?? [])];
  }

  /** The learning rate now: a number, or the schedule. Setting a number takes effect at the next step. */
  get learningRate(): number | LearningRateSchedule {
    return this.lrSchedule ?? this.currentLr();
  }
  set learningRate(lr: number | LearningRateSchedule) {
    if (lr instanceof LearningRateSchedule || !this.lrVar) throw new UsageError(`${this.name}: the learning rate can only be changed to a number when it was created as one`);
    this.lrVar.assign(tensor(lr, [], "f32"));
    this.lrGiven = lr;
  }

  /** The given number while the variable still holds its f32 rounding (a checkpoint restore may have changed it). */
  private currentLr(): number {
    const held = this.lrVar!.item();
    return this.lrGiven !== undefined && Math.fround(this.lrGiven) === held ? this.lrGiven : held;
  }

  /** The base rate at the current step, before `decay` (in-graph when traced). */
  private baseLr(iterations: Tensor): Tensor {
    return this.lrSchedule ? this.lrSchedule.apply(cast(iterations, "f32")) : this.lrVar!.value;
  }

  /** Keras's `_decayed_lr(dtype)`: the schedule's rate, divided by (1 + decay * iterations). */
  decayedLr(dtype: DType = "f32"): Tensor {
    const iterations = this.stepCache?.iterations ?? this.iterations.value;
    let lr = this.stepCache?.lr.get(dtype);
    if (lr) return lr;
    lr = this.baseLr(iterations);
    if (this.decay > 0) lr = lr.div(cast(iterations, "f32").mul(this.decay).add(1));
    lr = cast(lr, dtype);
    this.stepCache?.lr.set(dtype, lr);
    return lr;
  }

  /** A hyperparameter as config: a number, or a schedule's serialized form. */
  protected serializeHyperparameter(name: "learningRate" | "lr"): number | Config {
    void name;
    return this.lrSchedule ? (serialize(this.lrSchedule) as unknown as Config) : this.currentLr();
  }

  // ---- applying ------------------------------------------------------------------------------

  /** Creates slots for variables not seen before (also called by applyGradients and checkpoint restore). */
  build(vars: readonly Variable[]): void {
    const fresh = vars.filter((v) => !this.slots.has(v));
    if (fresh.length === 0) return;
    for (const v of fresh) this.slots.set(v, new Map());
    outsideTrace(() => this.createSlots(fresh));
  }

  /**
   * Applies one step (Keras's `apply_gradients(zip(grads, vars))`). Inside `fn` the update is traced
   * into the step; outside it runs as one compiled step per variable list. Null gradients are skipped.
   */
  applyGradients(gradsAndVars: Iterable<GradAndVar>): void {
    const pairs = [...gradsAndVars].filter((p): p is readonly [Gradient, Variable] => p[0] !== null && p[0] !== undefined);
    for (const [, v] of pairs) if (!isVariable(v)) throw new UsageError(`${this.name}.applyGradients: expected [gradient, variable] pairs, got a ${v === null ? "null" : typeof v} where a variable belongs`);
    if (pairs.length === 0) throw new UsageError(`${this.name}.applyGradients: no gradients to apply (every gradient was null: does the loss depend on the variables?)`);
    if (currentTrace()) this.applyTraced(pairs);
    else this.applyEager(pairs);
  }

  /**
   * Computes the loss, its gradients with respect to `vars` and applies them; returns the loss.
   * Inside `fn` all of it is one traced step; eagerly the loss runs op by op and the update compiled.
   */
  minimize(loss: () => Tensor, vars: readonly Variable[]): Tensor {
    if (vars.length === 0) throw new UsageError(`${this.name}.minimize: no variables to optimize`);
    const y = loss();
    this.applyGradients(zip(gradients(y, vars), vars));
    return y;
  }

  /** The optimizer's own state: the iteration counter, the learning rate, every slot. */
  get variables(): Variable[] {
    const out: Variable[] = [this.iterations];
    if (this.lrVar) out.push(this.lrVar);
    for (const m of this.slots.values()) out.push(...m.values());
    return out;
  }

  /** [path, variable] for checkpoints: "iterations", "learning_rate", "slots/<key of var>/<slot>". */
  namedVariables(keyOf: (v: Variable) => string = (v) => v.name): [string, Variable][] {
    const out: [string, Variable][] = [["iterations", this.iterations]];
    if (this.lrVar) out.push(["learning_rate", this.lrVar]);
    for (const [v, m] of this.slots) for (const [slot, s] of m) out.push([`slots/${keyOf(v)}/${slot}`, s]);
    return out;
  }

  private applyTraced(pairs: readonly (readonly [Gradient, Variable])[]): void {
    for (const [g, v] of pairs) checkGradient(this.name, g, v);
    this.build(pairs.map((p) => p[1]));
    const grads = this.clipGradients(pairs.map((p) => p[0]));
    const iterations = this.iterations.value;
    this.stepCache = { iterations, lr: new Map() };
    try {
      pairs.forEach(([, v], i) => {
        const g = grads[i]!;
        const ctx: UpdateContext = { lr: this.decayedLr(v.dtype), iterations, step: cast(iterations.add(1), v.dtype) };
        const out = g instanceof IndexedSlices ? this.applySparse(g, v, ctx) : this.applyDense(g.dtype === v.dtype ? g : cast(g, v.dtype), v, ctx);
        if (out instanceof Tensor) v.assign(out);
      });
    } finally {
      this.stepCache = undefined;
    }
    this.iterations.assign(iterations.add(1));
  }

  /** Eagerly: one small compiled step per list of variables, with the gradients as its inputs. */
  private applyEager(pairs: readonly (readonly [Gradient, Variable])[]): void {
    const vars = pairs.map((p) => p[1]);
    const key = pairs.map(([g, v]) => `${v.name}${g instanceof IndexedSlices ? "[sparse]" : ""}`).join("|");
    let step = this.eagerSteps.get(key);
    if (!step) {
      step = fn(
        (gs: (EagerGrad | null)[]) => {
          const rebuilt = gs.map((g, i): GradAndVar => [g!.dense ?? new IndexedSlices(g!.indices!, g!.values!, vars[i]!.shape), vars[i]!]);
          this.applyTraced(rebuilt as (readonly [Gradient, Variable])[]);
        },
        { name: `${this.name.replace(/\W/g, "_")}_apply` },
      );
      this.eagerSteps.set(key, step);
    }
    step(pairs.map(([g]) => (g instanceof IndexedSlices ? { indices: g.indices, values: g.values } : { dense: g })));
  }

  private clipGradients(grads: readonly Gradient[]): Gradient[] {
    const mapValues = (g: Gradient, f: (t: Tensor) => Tensor): Gradient => (g instanceof IndexedSlices ? new IndexedSlices(g.indices, f(g.values), g.denseShape) : f(g));
    let out = [...grads];
    if (this.clipValue !== undefined) out = out.map((g) => mapValues(g, (t) => clipByValue(t, -this.clipValue!, this.clipValue!)));
    if (this.clipNorm !== undefined) out = out.map((g) => (g instanceof IndexedSlices ? mapValues(g.toDense(), (t) => clipByNorm(t, this.clipNorm!)) : clipByNorm(g, this.clipNorm!)));
    if (this.globalClipNorm !== undefined) {
      const dense = out.map((g) => (g instanceof IndexedSlices ? g.toDense() : g));
      out = clipByGlobalNorm(dense, this.globalClipNorm)[0];
    }
    return out;
  }

  // ---- config --------------------------------------------------------------------------------

  /** The hyperparameters (subclasses add theirs), enough for `fromConfig` to rebuild the optimizer. */
  getConfig(): Config {
    const c: Record<string, Config[string]> = { name: this.name, learningRate: this.serializeHyperparameter("learningRate") };
    if (this.decay) c.decay = this.decay;
    if (this.clipValue !== undefined) c.clipValue = this.clipValue;
    if (this.clipNorm !== undefined) c.clipNorm = this.clipNorm;
    if (this.globalClipNorm !== undefined) c.globalClipNorm = this.globalClipNorm;
    return c;
  }

  static fromConfig<T>(this: new (o: never) => T, config: Config): T {
    return new this(config as never);
  }
}

function checkGradient(opt: string, g: Gradient, v: Variable): void {
  if (!isFloat(v.dtype)) throw new DTypeError(`${opt}: variable '${v.name}' is ${v.dtype}; only float variables can be optimized`);
  if (g instanceof IndexedSlices) {
    if (!sameShape(g.denseShape, v.shape)) throw new ShapeError(`${opt}: sparse gradient of shape ${shapeStr(g.denseShape)} for variable '${v.name}' of shape ${shapeStr(v.shape)}`);
    return;
  }
  if (!(g instanceof Tensor)) throw new UsageError(`${opt}: the gradient for '${v.name}' is not a tensor`);
  if (!sameShape(g.shape, v.shape)) throw new ShapeError(`${opt}: gradient of shape ${shapeStr(g.shape)} for variable '${v.name}' of shape ${shapeStr(v.shape)}`);
  if (!isFloat(g.dtype)) throw new DTypeError(`${opt}: gradient for '${v.name}' is ${g.dtype}, expected a float`);
}
