/** @file The seed's "sign-agreement SGD" as a graft Optimizer subclass: two slots per variable and a dense
 * update rule in the DSL, traced into the training step. Both of the seed's bugs are fixed: the first
 * step is decided in the graph from the iteration counter (not a Python flag frozen at trace time), and
 * both slots exist for every variable (the seed's `for vat in var_list` typo made `pg` for only one). */
import { optimizers, registerClass, where, type Config, type Tensor, type Variable } from "../src/index.js";

export interface SignAgreementSGDOptions {
  readonly learningRate?: number | optimizers.LearningRateSchedule;
  /** Keras's alias for learningRate. */
  readonly lr?: number;
  /** Time-based decay: lr / (1 + decay * iterations) (Keras's `_decayed_lr`). */
  readonly decay?: number;
  readonly name?: string;
}

export class SignAgreementSGD extends optimizers.Optimizer {
  constructor(opts: SignAgreementSGDOptions = {}) {
    super({ ...opts, learningRate: opts.lr ?? opts.learningRate ?? 0.001 }, "SignAgreementSGD");
  }

  protected override createSlots(vars: readonly Variable[]): void {
    for (const v of vars) this.addSlot(v, "pv"); // previous variable
    for (const v of vars) this.addSlot(v, "pg"); // previous gradient
  }

  protected override applyDense(grad: Tensor, v: Variable): void {
    const lr = this.decayedLr(v.dtype);
    const newVarM = v.sub(lr.mul(grad));
    const pv = this.getSlot(v, "pv");
    const pg = this.getSlot(v, "pg");
    // where the gradient kept its sign, take the SGD step; where it flipped, go back to the midpoint
    const cond = grad.mul(pg).greaterEqual(0);
    const avgWeight = pv.add(v).div(2);
    const isFirst = this.iterations.value.equal(0); // in-graph: true only on the step that runs first
    const newVar = where(isFirst, newVarM, where(cond, newVarM, avgWeight));
    pv.assign(v);
    pg.assign(grad);
    v.assign(newVar);
  }

  // applySparse is inherited: sparse gradients raise a GraftError naming this optimizer, as the seed raises

  override getConfig(): Config {
    return { ...super.getConfig(), learningRate: this.serializeHyperparameter("lr") };
  }
}

registerClass(SignAgreementSGD);
