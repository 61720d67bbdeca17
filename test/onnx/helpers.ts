/** @file Shared helpers for the ONNX tests: run a graph on the onnx backend, and the independent ONNX checker. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { nd, type Graph, type NDArray } from "../../src/ir/index.js";
import { encodeModel, lowerGraph } from "../../src/codegen/onnx/index.js";
import { onnxBackend, type OnnxExecutable } from "../../src/runtime/onnx.js";
import { Cell } from "../codegen-js/harness.js";

const PY = "/usr/bin/python3";

/** Compiles `g` as is (no passes) for ORT and runs it once; state starts from copies. */
export function runOnnx(g: Graph, inputs: readonly NDArray[], state: readonly NDArray[] = []): { outputs: NDArray[]; state: NDArray[]; exec: OnnxExecutable } {
  const exec = onnxBackend.compile({ traced: g, optimized: g }, {}) as OnnxExecutable;
  const cells = state.map((s, i) => new Cell(`s${i}`, nd(s.dtype, s.shape, s.data)));
  const outputs = exec.run(inputs, cells);
  return { outputs, state: cells.map((c) => c.a), exec };
}

let checkerState: boolean | undefined;
/** Whether Debian's python3-onnx is there (the tests print a visible skip message when not). */
export function checkerAvailable(): boolean {
  if (checkerState === undefined) {
    checkerState = existsSync(PY) && spawnSync(PY, ["-c", "import onnx"], { encoding: "utf8" }).status === 0;
    if (!checkerState) console.warn("SKIPPED: the ONNX checker (/usr/bin/python3 with python3-onnx) is not installed; models are not checked by it");
  }
  return checkerState;
}

/**
 * Runs onnx.checker.check_model(full_check=True) on every model (one python process for all);
 * returns the failures as "name: message" (empty when all pass, or when the checker is absent).
 */
export function checkModels(models: readonly { name: string; bytes: Uint8Array }[]): string[] {
  if (!checkerAvailable() || !models.length) return [];
  const dir = mkdtempSync(path.join(tmpdir(), "graft-onnx-"));
  const files = models.map((m, i) => {
    const f = path.join(dir, `m${i}.onnx`);
    writeFileSync(f, m.bytes);
    return f;
  });
  const script = [
    "import onnx, sys, json",
    "bad = []",
    "for i, f in enumerate(sys.argv[1:]):",
    "    try:",
    "        onnx.checker.check_model(onnx.load(f), full_check=True)",
    "    except Exception as e:",
    "        bad.append([i, str(e).splitlines()[0] if str(e) else repr(e)])",
    "print(json.dumps(bad))",
  ].join("\n");
  const r = spawnSync(PY, ["-c", script, ...files], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) return [`checker crashed: ${r.stderr}`];
  return (JSON.parse(r.stdout) as [number, string][]).map(([i, msg]) => `${models[i]!.name}: ${msg}`);
}

/** The model bytes of a graph, lowered as the backend does. */
export const modelBytes = (g: Graph): Uint8Array => encodeModel(lowerGraph(g).model);
