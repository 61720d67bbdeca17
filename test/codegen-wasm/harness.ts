/** @file Helpers for the wasm backend tests: state cells that honour a backend's resident copy, and a run against the interpreter. */
import { interpret, nd, type Graph, type NDArray } from "../../src/ir/index.js";
import { lowerStages, type Stages } from "../../src/passes/pipeline.js";
import { wasmBackend } from "../../src/runtime/wasm.js";
import type { StateCell } from "../../src/runtime/backend.js";
import { expectClose } from "../codegen-js/harness.js";

/** A state cell like a Variable: a backend may keep the value resident; reading downloads it. */
export class ResidentCell implements StateCell {
  resident?: StateCell["resident"];
  constructor(readonly name: string, private a: NDArray) {}
  read(): NDArray {
    if (this.resident) {
      this.a = this.resident.download();
      this.resident = undefined;
    }
    return this.a;
  }
  write(a: NDArray): void {
    this.resident = undefined;
    this.a = a;
  }
}

const copy = (a: NDArray): NDArray => nd(a.dtype, a.shape, a.data);

export function runWasm(stages: Stages, inputs: readonly NDArray[], state: readonly NDArray[] = [], opts: Record<string, unknown> = {}): { outputs: NDArray[]; state: NDArray[]; source: string } {
  const exec = wasmBackend.compile(stages, opts);
  const cells = state.map((s, i) => new ResidentCell(`s${i}`, copy(s)));
  const outputs = exec.run(inputs, cells);
  return { outputs, state: cells.map((c) => c.read()), source: exec.source() };
}

/**
 * Runs `g` on the interpreter and on wasm (unfused and fused). `exact`: the unfused run must equal
 * the interpreter bit for bit (elementwise ops and reductions: same per-op rounding, same order).
 */
export function checkWasm(g: Graph, inputs: readonly NDArray[], state: readonly NDArray[] = [], opts: { exact?: boolean; rtol?: number; atol?: number } = {}): { fusedSource: string } {
  const ref = interpret(g, inputs, state);
  let fusedSource = "";
  for (const [label, st] of [["unfused", { traced: g }], ["fused", lowerStages(g, { verify: true })]] as const) {
    const got = runWasm(st, inputs, state);
    if (label === "fused") fusedSource = got.source;
    const exact = opts.exact && label === "unfused";
    const [rtol, atol] = exact ? [0, 0] : [opts.rtol, opts.atol];
    ref.outputs.forEach((o, i) => expectClose(got.outputs[i]!, o, `${g.name} ${label} output ${i}`, rtol, atol));
    ref.state.forEach((s, i) => expectClose(got.state[i]!, s, `${g.name} ${label} state ${i}`, rtol, atol));
  }
  return { fusedSource };
}
