/** @file Where a graft contender runs: the js backend, the tfjs backend on cpu or wasm, or ONNX Runtime (onnx); inputs and run wrappers per target. */
import { availableParallelism } from "node:os";
import { initTfjs, tensor, type FnOptions, type Tensor, type Variable } from "../src/index.js";
import { backendNames } from "../src/runtime/index.js";
import { resolveThreads } from "../src/runtime/js.js";
import { resolveWasmThreads } from "../src/runtime/wasm-threads.js";
import { releaseTfjs } from "../src/runtime/tfjs-state.js";
import { noDataMoves, tf, useBackend } from "./peers/tfjs-env.js";

export type TargetId = "js" | "tfjs-cpu" | "tfjs-wasm" | "wasm" | "onnx";

export interface Target {
  readonly id: TargetId;
  /** contender name: "graft js", "graft tfjs-cpu", "graft tfjs-wasm" */
  readonly name: string;
  /** what executes the math (picks the peak in the report): tfjs-cpu is scalar JS, tfjs-wasm wasm SIMD */
  readonly engine: "js" | "wasm" | "native";
  /** the fn() options that select this target */
  readonly opts: FnOptions;
  readonly tfjs?: "cpu" | "wasm";
  /** threads big matmuls run on (the js backend's default, GRAFT_THREADS respected; 1 for tfjs, which has no pool here) */
  readonly matmulThreads: number;
}

/** Every compile in the bench is a real one: the persistent compile cache stays off (W5's "cached" contender turns it on). */
export const TARGETS: Readonly<Record<TargetId, Target>> = {
  js: { id: "js", name: "graft js", engine: "js", opts: { backend: "js", cache: false }, matmulThreads: resolveThreads(undefined) },
  "tfjs-cpu": { id: "tfjs-cpu", name: "graft tfjs-cpu", engine: "js", opts: { backend: "tfjs", tfjsBackend: "cpu" }, tfjs: "cpu", matmulThreads: 1 },
  "tfjs-wasm": { id: "tfjs-wasm", name: "graft tfjs-wasm", engine: "wasm", opts: { backend: "tfjs", tfjsBackend: "wasm" }, tfjs: "wasm", matmulThreads: 1 },
  // graft's own Wasm module (src/codegen/wasm); product rows split over its threads (default: the core count)
  wasm: { id: "wasm", name: "graft wasm", engine: "wasm", opts: { backend: "wasm" }, matmulThreads: resolveWasmThreads(undefined) },
  // ONNX Runtime's native CPU kernels, its intra-op pool on every core (the backend's default)
  onnx: { id: "onnx", name: "graft onnx", engine: "native", opts: { backend: "onnx" }, matmulThreads: availableParallelism() },
};

/**
 * Makes the target usable (initializes the tfjs backend and makes it active, so input tensors
 * are created there), or throws why not (the harness then marks the contender skipped).
 */
export async function prepare(t: Target): Promise<void> {
  if (t.tfjs) {
    await initTfjs(t.tfjs);
    await useBackend(t.tfjs);
  } else if (!backendNames().includes(t.opts.backend as string)) {
    throw new Error(`graft backend "${String(t.opts.backend)}" is not registered (available: ${backendNames().join(", ")})`);
  }
}

/**
 * A step input as the target takes it best: a graft tensor for js (its Float32Array is read in
 * place), a tfjs tensor on the target's backend for tfjs (used without a copy each step, as the
 * tfjs peers keep theirs). Call after `prepare`.
 */
export function input(t: Target, data: Float32Array | Int32Array, shape: number[]): Tensor {
  if (!t.tfjs) return tensor(data, shape, data instanceof Int32Array ? "i32" : "f32");
  const x = data instanceof Int32Array ? tf.tensor(data, shape, "int32") : tf.tensor(data, shape, "float32");
  return x as unknown as Tensor; // fn accepts tfjs tensors (dsl/inputs.ts); the type says graft's
}

/** Frees what `input` made on tfjs (graft tensors need nothing). */
export function disposeInputs(t: Target, xs: readonly unknown[]): void {
  if (t.tfjs) for (const x of xs) (x as { dispose(): void }).dispose();
}

/** Frees the tf.Variables the tfjs backend made for these graft variables. */
export function releaseState(t: Target, vars: readonly Variable[]): void {
  if (t.tfjs) for (const v of vars) releaseTfjs(v);
}

/** beforeRun + run wrappers: on tfjs, switch the active backend (untimed) and prove no tensor migrated. */
export function runHooks(t: Target, run: () => void): { beforeRun?: () => Promise<void>; run: () => void } {
  if (!t.tfjs) return { run };
  const name = t.tfjs;
  return { beforeRun: () => useBackend(name), run: () => noDataMoves(run) };
}
