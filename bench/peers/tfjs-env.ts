/** @file TensorFlow.js backends for the peers: cpu and wasm (SIMD) in one process, switched per run. */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import path from "node:path";

export type TfBackend = "cpu" | "wasm";

let configured = false;

function configure(): void {
  if (configured) return;
  configured = true;
  // PROD silences the "install tfjs-node" banner and skips debug-only checks: fair for timing.
  tf.env().set("PROD", true);
  // The wasm binaries ship in the package's dist/; point the loader at them by file path.
  const require = createRequire(import.meta.url);
  const wasmFile = require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm");
  setWasmPaths(path.dirname(wasmFile) + path.sep);
}

/**
 * Make `name` the active tfjs backend. Each tfjs contender creates its tensors under its own
 * backend and calls this (untimed) before every run, so no tensor ever migrates between backends
 * during timing; `tfDataMoves()` lets a contender prove that.
 */
export async function useBackend(name: TfBackend): Promise<void> {
  configure();
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs backend ${name} failed to initialize`);
  if (name === "wasm" && !tf.env().getBool("WASM_HAS_SIMD_SUPPORT")) {
    throw new Error("tfjs wasm backend without SIMD support");
  }
}

let moveCount = 0;
let watching = false;

/** Count Engine.moveData calls: the only way tensor data crosses backends (a full copy each). */
function watchDataMoves(): void {
  if (watching) return;
  watching = true;
  const engine = tf.engine() as unknown as { moveData(backend: unknown, dataId: unknown): void };
  const orig = engine.moveData.bind(engine);
  engine.moveData = (backend, dataId) => {
    moveCount++;
    orig(backend, dataId);
  };
}

/**
 * Run `f` and fail if any tensor migrated between backends meanwhile: proof that interleaving the
 * cpu and wasm contenders (switching with tf.setBackend before each run) costs no hidden copies.
 */
export function noDataMoves<T>(f: () => T): T {
  watchDataMoves();
  const before = moveCount;
  const r = f();
  if (moveCount !== before) throw new Error(`${moveCount - before} tensor(s) moved between tfjs backends during a run`);
  return r;
}

export { tf };
