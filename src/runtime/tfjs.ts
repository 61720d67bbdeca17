/** @file The "tfjs" backend: runs the lowered step as one generated TensorFlow.js program on cpu, wasm or tfjs-node.
 *
 * TensorFlow.js is loaded lazily (on the first compile, `initTfjs` or interop call), so
 * `import "graft"` stays fast for users of the other backends. It is loaded with `require`: the
 * package's main entry is CommonJS, so this is the same module instance a user's
 * `import * as tf from "@tensorflow/tfjs"` gets, and tensors and variables pass both ways.
 *
 * Precision: tfjs has no float64, so f64 graphs run in float32 here (results come back as f64
 * arrays holding float32 values). Use the js or interp backend where f64 matters.
 */
import type * as TF from "@tensorflow/tfjs";
import { isMissing, MissingDependencyError, needNode, nodeBuiltin } from "../ir/platform.js";
import { GraftError, tfjsDType, UsageError, type Graph, type NDArray } from "../ir/index.js";
import { compileTfjs, download, upload, type BroadcastLowering, type MatmulLayout, type Tfjs, type TfjsKernel } from "../codegen/tfjs/index.js";
import { nodeCounts, registerBackend, type Backend, type BackendOptions, type Executable, type StateCell } from "./backend.js";
import { residentVariable } from "./tfjs-state.js";

/** The TensorFlow.js backends graft can run on. */
export type TfjsBackendName = "cpu" | "wasm" | "tensorflow";
const TFJS_BACKENDS: readonly TfjsBackendName[] = ["cpu", "wasm", "tensorflow"];

let tfjs: Tfjs | undefined;

/** Node's `require`, relative to this file (undefined outside Node). */
const requireHere = (): NodeJS.Require | undefined => nodeBuiltin("node:module")?.createRequire(import.meta.url);

/**
 * Hands graft the @tensorflow/tfjs module to use (what `import "graft/tfjs"` does). In Node graft
 * can require it itself; in a browser there is no require, so this is how the tfjs backend gets it.
 */
export function registerTfjs(tf: Tfjs): void {
  tfjs = tf;
}

/** The @tensorflow/tfjs module (loaded on first use). */
export function loadTfjs(): Tfjs {
  if (!tfjs) {
    const req = requireHere();
    if (!req) throw new UsageError(`the tfjs backend has no @tensorflow/tfjs here: outside Node, import "graft/tfjs" (it imports @tensorflow/tfjs) before using it`);
    try {
      tfjs = req("@tensorflow/tfjs") as Tfjs;
    } catch (e) {
      if (isMissing(e, "@tensorflow/tfjs")) throw new MissingDependencyError("@tensorflow/tfjs", "the tfjs backend", e);
      throw new UsageError(`the tfjs backend could not load @tensorflow/tfjs: ${String(e)}`);
    }
  }
  return tfjs;
}

const isInitialized = (tf: Tfjs, name: string): boolean => (tf.engine().registry as Record<string, unknown>)[name] != null;

/**
 * Initializes a TensorFlow.js backend for graft (tfjs backends initialize asynchronously, and a
 * compiled step must not wait): `await initTfjs("wasm")` before `fn(step, { backend: "tfjs",
 * tfjsBackend: "wasm" })`. It does not change which backend is active for the user's own tfjs
 * code (unless none was chosen yet); graft's steps switch to their backend while they run.
 * - "cpu": @tensorflow/tfjs's own; needs no initialization (calling this is harmless).
 * - "wasm": @tensorflow/tfjs-backend-wasm, with its .wasm binaries loaded from node_modules
 *   (the SIMD build where the runtime supports it, as Node 20 does).
 * - "tensorflow": @tensorflow/tfjs-node (native TensorFlow), when it is installed.
 */
export async function initTfjs(name: TfjsBackendName = "cpu"): Promise<void> {
  if (!TFJS_BACKENDS.includes(name)) throw new UsageError(`initTfjs: unknown tfjs backend '${String(name)}' (${TFJS_BACKENDS.join(", ")})`);
  const tf = loadTfjs();
  if (isInitialized(tf, name)) return;
  const req = requireHere();
  // outside Node the page imports and configures the backend's package itself (setWasmPaths)
  if (name === "wasm" && req) {
    let wasm: typeof import("@tensorflow/tfjs-backend-wasm");
    try {
      wasm = req("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
    } catch (e) {
      if (isMissing(e, "@tensorflow/tfjs-backend-wasm")) throw new MissingDependencyError("@tensorflow/tfjs-backend-wasm", `tfjs backend "wasm"`, e);
      throw e;
    }
    const path = needNode("node:path", "tfjs wasm");
    const simd = req.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm");
    wasm.setWasmPaths(path.dirname(simd) + path.sep);
  } else if (name === "tensorflow") {
    try {
      needNode("node:module", `tfjsBackend "tensorflow"`).createRequire(import.meta.url)("@tensorflow/tfjs-node");
    } catch (e) {
      throw new UsageError(
        `tfjsBackend "tensorflow" needs @tensorflow/tfjs-node, which is not installed (npm i @tensorflow/tfjs-node; its install downloads libtensorflow). ${String(e).split("\n")[0]}`,
      );
    }
  }
  const prev = tf.engine().backendName;
  if (!(await tf.setBackend(name)) || !isInitialized(tf, name)) throw new GraftError(`tfjs backend '${name}' failed to initialize`, "backend");
  if (prev && prev !== name) await tf.setBackend(prev);
}

/** Alias of `initTfjs`: `await ready("wasm")`. */
export const ready = initTfjs;

/**
 * Makes `name` the active tfjs backend for the duration of a step and returns the one to restore.
 * Switching to an initialized backend is synchronous inside tfjs (setBackend only awaits a
 * backend's first initialization), so the returned promise can be ignored.
 */
function activate(tf: Tfjs, name: string): string | null {
  const prev = tf.engine().backendName;
  if (prev !== name) void tf.setBackend(name);
  return prev;
}

const layoutFor = (name: TfjsBackendName): MatmulLayout => (name === "wasm" ? "transpose" : "flags");
/** Tile is slow on wasm (see BroadcastLowering). */
const broadcastFor = (name: TfjsBackendName): BroadcastLowering => (name === "wasm" ? "binary" : "tile");

/** tfjs tensors that came in as inputs (see dsl/inputs.ts) travel on the array as `native`. */
const nativeOf = (a: NDArray): unknown => (a as { native?: unknown }).native;

/** An output array that is the tf.Tensor itself (`outputs: "tfjs"`); `data` downloads on demand. */
function nativeArray(t: TF.Tensor, dtype: NDArray["dtype"]): NDArray & { native: TF.Tensor } {
  let host: NDArray | undefined;
  return {
    dtype,
    shape: [...t.shape],
    native: t,
    get data() {
      return (host ??= download(t, dtype)).data;
    },
  };
}

function makeExecutable(g: Graph, backendName: TfjsBackendName, opts: BackendOptions, stages: Parameters<Backend["compile"]>[0]): Executable {
  const tf = loadTfjs();
  if (!isInitialized(tf, backendName)) {
    if (backendName !== "cpu") {
      throw new UsageError(`tfjs backend '${backendName}' is not initialized: call \`await initTfjs(${JSON.stringify(backendName)})\` (exported by graft) before compiling for it`);
    }
  }
  const outputsTfjs = opts.outputs === "tfjs";
  // tfjsMatmulLayout overrides the per-backend choice (for measuring it)
  const layout = opts.tfjsMatmulLayout as MatmulLayout | undefined;
  if (layout !== undefined && layout !== "flags" && layout !== "transpose") throw new UsageError(`tfjsMatmulLayout: expected "flags" or "transpose", got ${JSON.stringify(layout)}`);
  if (opts.outputs !== undefined && opts.outputs !== "tfjs" && opts.outputs !== "graft") throw new UsageError(`outputs: expected "graft" or "tfjs", got ${JSON.stringify(opts.outputs)}`);
  let kernel: TfjsKernel;
  const prev = activate(tf, backendName);
  try {
    kernel = compileTfjs(tf, g, { layout: layout ?? layoutFor(backendName), broadcast: broadcastFor(backendName), backend: backendName, checkNumerics: !!opts.checkNumerics, fold: opts.tfjsFold !== false });
  } finally {
    if (prev && prev !== backendName) activate(tf, prev);
  }
  const stateTypes = g.state.map((s) => s.value.type);

  const run = (inputs: readonly NDArray[], cells: readonly StateCell[]): NDArray[] => {
    const prev = activate(tf, backendName);
    const uploaded: TF.Tensor[] = [];
    try {
      const ins = inputs.map((a, i) => {
        const n = nativeOf(a);
        // a tfjs tensor of the right dtype is used as is (tfjs moves it if it lives on another backend)
        if (n instanceof tf.Tensor && !n.isDisposed && n.dtype === tfjsDType(g.inputs[i]!.dtype)) return n;
        const t = upload(tf, a);
        uploaded.push(t);
        return t;
      });
      const vars = cells.map((c, i) => residentVariable(tf, c, stateTypes[i]!));
      const outs = kernel.step(ins, vars);
      if (outputsTfjs) return outs.map((t, i) => nativeArray(t, g.outputs[i]!.dtype));
      const host = outs.map((t, i) => download(t, g.outputs[i]!.dtype));
      for (const t of outs) t.dispose();
      return host;
    } catch (e) {
      if (e instanceof GraftError) throw e;
      throw new GraftError(`tfjs backend (${backendName}): the generated program failed: ${e instanceof Error ? e.message : String(e)}`, "backend");
    } finally {
      for (const t of uploaded) t.dispose();
      if (prev && prev !== backendName) activate(tf, prev);
    }
  };

  const exec: Executable = {
    run,
    source: () => kernel.program.source,
    stats: () => ({
      backend: `tfjs-${backendName}`,
      nodes: nodeCounts(stages),
      kernels: kernel.program.kernels,
      // state lives in tf.Variables and constants are uploaded once; intermediates are per step
      bytes: [...g.state.map((s) => s.value), ...kernel.program.consts].reduce((s, v) => s + 4 * v.shape.reduce((a, b) => a * b, 1), 0),
    }),
  };
  // fn() drops least-recently-used signatures without telling the backend: free the uploaded
  // constants when the executable itself is collected
  constsOwner.register(exec, kernel);
  return exec;
}

const constsOwner = new FinalizationRegistry<TfjsKernel>((k) => k.dispose());

export const tfjsBackend: Backend = {
  name: "tfjs",
  compile(stages, opts) {
    const name = (opts.tfjsBackend ?? "cpu") as TfjsBackendName;
    if (!TFJS_BACKENDS.includes(name)) throw new UsageError(`tfjsBackend: unknown tfjs backend '${String(name)}' (${TFJS_BACKENDS.join(", ")})`);
    // the fused stage once the fusion pass exists; until then the latest stage there is
    const g = stages.fused ?? stages.optimized ?? stages.grad ?? stages.traced;
    return makeExecutable(g, name, opts, stages);
  },
};

registerBackend(tfjsBackend);
