/** @file The tfjs codegen: a graph becomes one JS function of tf.* calls (see emit.ts), instantiated here. */
import type * as TF from "@tensorflow/tfjs";
import { emitTfjs, type TfjsEmitOptions, type TfjsProgram } from "./emit.js";
import { makeRuntime, type Tfjs } from "./rt.js";
import { upload } from "./convert.js";
import type { Graph } from "../../ir/index.js";

export { emitTfjs, type BroadcastLowering, type TfjsEmitOptions, type TfjsProgram, type MatmulLayout } from "./emit.js";
export { planEpilogue } from "./epilogue.js";
export { makeRuntime, type Tfjs, type TfjsRuntime } from "./rt.js";
export { upload, download, graftDType } from "./convert.js";

export type TfjsStep = (ins: readonly TF.Tensor[], vars: readonly TF.Variable[]) => TF.Tensor[];

export interface TfjsKernel {
  readonly program: TfjsProgram;
  readonly step: TfjsStep;
  /** The folded constants, uploaded once (kept out of every tidy); `dispose` frees them. */
  readonly consts: readonly TF.Tensor[];
  dispose(): void;
}

/** Emits the program for `g` and makes it callable; constants go to the active tfjs backend. */
export function compileTfjs(tf: Tfjs, g: Graph, opts: TfjsEmitOptions): TfjsKernel {
  const program = emitTfjs(g, opts);
  const consts = program.consts.map((c) => tf.keep(upload(tf, c)));
  // the program text never contains user strings unescaped (names and locations are JSON literals)
  const make = new Function("tf", "rt", "K", program.source) as (tf: Tfjs, rt: unknown, k: readonly TF.Tensor[]) => TfjsStep;
  const step = make(tf, makeRuntime(tf), consts);
  return { program, step, consts, dispose: () => consts.forEach((c) => c.dispose()) };
}
