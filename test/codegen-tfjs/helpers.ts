/** @file Helpers for the tfjs codegen tests: seeded arrays, running a graph on tfjs and on the interpreter. */
import { expect } from "vitest";
import { interpret, type Graph, type NDArray } from "../../src/ir/index.js";
import { tfjsBackend, type TfjsBackendName } from "../../src/runtime/tfjs.js";
import type { StateCell } from "../../src/runtime/backend.js";

import { Gen as IrGen } from "../ir/helpers.js";
export { rng } from "../ir/helpers.js";

/** The IR suite's seeded arrays, with this suite's default seed (7). */
export class Gen extends IrGen {
  constructor(seed = 7) {
    super(seed);
  }
}

/** A host-only state cell (what a graft Variable is to a backend). */
export function cell(name: string, a: NDArray): StateCell & { value: NDArray } {
  const c: StateCell & { value: NDArray } = {
    name,
    value: a,
    read() {
      if (c.resident) {
        c.value = c.resident.download();
        c.resident = undefined;
      }
      return c.value;
    },
    write(x) {
      c.resident = undefined;
      c.value = x;
    },
  };
  return c;
}

/** Compiles `g` for a tfjs backend (straight from the graph, no passes) and runs it once. */
export function runTfjs(g: Graph, ins: readonly NDArray[], backend: TfjsBackendName, opts: Record<string, unknown> = {}, state: readonly NDArray[] = []) {
  const exec = tfjsBackend.compile({ traced: g }, { tfjsBackend: backend, ...opts });
  const cells = state.map((a, i) => cell(`s${i}`, a));
  const outputs = exec.run(ins, cells);
  return { outputs, state: cells.map((c) => c.read()), source: exec.source() };
}

export const runInterp = (g: Graph, ins: readonly NDArray[], state: readonly NDArray[] = []) => interpret(g, ins, state);

/** Floats agree to f32 accuracy (relative to the magnitude); ints and bools exactly; NaN matches NaN. */
export function expectSame(got: NDArray, want: NDArray, what: string, rtol = 2e-5, atol = 1e-5): void {
  expect(got.shape, `${what}: shape`).toEqual([...want.shape]);
  expect(got.dtype, `${what}: dtype`).toBe(want.dtype);
  const float = want.dtype === "f32" || want.dtype === "f64";
  for (let i = 0; i < want.data.length; i++) {
    const a = got.data[i]!;
    const b = want.data[i]!;
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    const ok = float ? (a === b || Math.abs(a - b) <= atol + rtol * Math.abs(b)) : a === b;
    if (!ok) expect.fail(`${what}: element ${i} is ${a}, expected ${b}`);
  }
}
