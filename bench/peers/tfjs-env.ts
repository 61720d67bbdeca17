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

/** Count of tensors moved between backends so far (each move is a full copy). */
export function tfDataMoves(): number {
  // Engine.moveData is the only place data crosses backends; count calls by wrapping it once.
  return moveCount;
}

let moveCount = 0;
let wrapped = false;
export function watchDataMoves(): void {
  if (wrapped) return;
  wrapped = true;
  const engine = tf.engine() as unknown as { moveData(b: unknown, id: unknown): void };
  const orig = engine.moveData.bind(engine);
  engine.moveData = (b, id) => {
    moveCount++;
    orig(b, id);
  };
}

export { tf };
