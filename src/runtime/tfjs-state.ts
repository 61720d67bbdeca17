/** @file State on tfjs: each variable or slot lives in one tf.Variable, updated in place across steps. */
import type * as TF from "@tensorflow/tfjs";
import { sameShape, tfjsDType, type DType, type NDArray, type TensorType } from "../ir/index.js";
import { download, upload, type Tfjs } from "../codegen/tfjs/index.js";
import type { StateCell } from "./backend.js";

export const TFJS_OWNER = "tfjs";

/**
 * The tf.Variable that is a cell's home on tfjs, kept even while the host copy is authoritative
 * (after an eager read or write), so a user's handle from `toTfjs` stays the same object.
 */
interface Slot {
  readonly variable: TF.Variable;
  /** Handed to user code (toTfjs) or owned by it (adopted): never disposed behind its back. */
  shared: boolean;
  /** The host array the last download produced, and the tfjs data it came from. */
  downloaded?: NDArray;
  downloadedFrom?: object;
}

const slots = new WeakMap<StateCell, Slot>();
/** Resident records this module made: a cell's `resident` is trusted only when it is one of these. */
const records = new WeakSet<object>();

const fits = (v: TF.Variable, type: TensorType): boolean => !v.isDisposed && v.dtype === tfjsDType(type.dtype) && sameShape(v.shape, type.shape);

function attach(cell: StateCell, slot: Slot, dtype: DType): void {
  const rec = {
    owner: TFJS_OWNER,
    value: slot.variable,
    download: (): NDArray => {
      const host = download(slot.variable, dtype);
      slot.downloaded = host;
      slot.downloadedFrom = slot.variable.dataId;
      return host;
    },
  };
  records.add(rec);
  cell.resident = rec;
}

/**
 * The tf.Variable holding `cell` (shape and dtype `type`), made or refreshed as needed:
 * - resident here already: used as is (the steady state: no copies);
 * - the host copy is newer (an eager assign, or another backend ran): uploaded into the slot;
 * - only read eagerly since the last download, but the tf.Variable was assigned by tfjs code
 *   since then: the tf.Variable is newer and is kept.
 * Must run outside tf.tidy (the variable outlives the step).
 */
export function residentVariable(tf: Tfjs, cell: StateCell, type: TensorType): TF.Variable {
  const r = cell.resident;
  if (r && r.owner === TFJS_OWNER && records.has(r) && fits(r.value as TF.Variable, type)) return r.value as TF.Variable;
  const slot = slots.get(cell);
  const host = cell.read();
  if (slot && fits(slot.variable, type)) {
    const tfjsWroteSince = host === slot.downloaded && slot.variable.dataId !== slot.downloadedFrom;
    if (!tfjsWroteSince) {
      const t = upload(tf, host);
      slot.variable.assign(t);
      t.dispose();
    }
    attach(cell, slot, type.dtype);
    return slot.variable;
  }
  return adopt(tf, cell, type.dtype, upload(tf, host), true);
}

/** Makes a tf.Variable from `init` (consumed) the home of `cell`. */
function adopt(tf: Tfjs, cell: StateCell, dtype: DType, init: TF.Tensor, dispose: boolean): TF.Variable {
  const trainable = (cell as { trainable?: boolean }).trainable !== false;
  // tfjs variable names are global; use graft's name when it is free (readable in tf.memory dumps)
  const name = `graft/${cell.name}`;
  const taken = name in (tf.engine().state.registeredVariables as Record<string, unknown>);
  const variable = tf.variable(init, trainable, taken ? undefined : name);
  if (dispose) init.dispose();
  const old = slots.get(cell);
  if (old && old.variable !== variable && !old.variable.isDisposed) old.variable.dispose();
  const slot: Slot = { variable, shared: false };
  slots.set(cell, slot);
  attach(cell, slot, dtype);
  // when the graft variable is collected, its tf.Variable goes too (unless user code holds it)
  unowned.register(cell, slot);
  return variable;
}

/** Makes a user's tf.Variable the home of `cell` (no copy): graft steps assign into it in place. */
export function adoptTfjsVariable(cell: StateCell, variable: TF.Variable, dtype: DType): void {
  const old = slots.get(cell);
  if (old && old.variable !== variable && !old.variable.isDisposed) old.variable.dispose();
  const slot: Slot = { variable, shared: true };
  slots.set(cell, slot);
  attach(cell, slot, dtype);
}

/** Marks a cell's tf.Variable as held by user code (see toTfjs). */
export function shareTfjs(cell: StateCell): void {
  const slot = slots.get(cell);
  if (slot) slot.shared = true;
}

const unowned = new FinalizationRegistry<Slot>((slot) => {
  if (!slot.shared && !slot.variable.isDisposed) slot.variable.dispose();
});

/** Frees the tf.Variable behind `cell`, if any (the host copy is downloaded first if it is stale). */
export function releaseTfjs(cell: StateCell): void {
  const slot = slots.get(cell);
  if (!slot) return;
  cell.read();
  slots.delete(cell);
  if (!slot.variable.isDisposed) slot.variable.dispose();
}
