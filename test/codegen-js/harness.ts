/** @file Shared helpers for the js backend tests: random data, cells, running a graph on js and on the interpreter. */
import { expect } from "vitest";
import { interpret, nd, sizeOf, type Graph, type NDArray, type TensorType } from "../../src/ir/index.js";
import { lowerStages, type Stages } from "../../src/passes/pipeline.js";
import { jsBackend } from "../../src/runtime/js.js";
import type { StateCell } from "../../src/runtime/backend.js";

/** The shared seeded PRNG (mulberry32). */
export { mulberry32 as rng } from "../../src/ir/random.js";

/** What values an input holds: any float, positive floats, small ints, booleans, or indices below n. */
export type Fill = "float" | "pos" | "int" | "bool" | { idx: number };

export function randomArray(t: TensorType, fill: Fill, r: () => number): NDArray {
  const n = sizeOf(t.shape);
  const data = Array.from({ length: n }, () => {
    if (typeof fill === "object") return Math.floor(r() * fill.idx);
    switch (fill) {
      case "pos": return 0.1 + 2.9 * r();
      case "int": return Math.floor(r() * 11) - 5;
      case "bool": return r() < 0.5 ? 1 : 0;
      default: return (r() - 0.5) * 4;
    }
  });
  return nd(t.dtype, t.shape, data);
}

/** A state cell over a host array (what a Variable is to a backend). */
export class Cell implements StateCell {
  constructor(readonly name: string, public a: NDArray) {}
  read(): NDArray {
    return this.a;
  }
  write(a: NDArray): void {
    this.a = a;
  }
}

const copy = (a: NDArray): NDArray => nd(a.dtype, a.shape, a.data);

/** Runs `stages` once on the js backend; state starts from copies of `state`. */
export function runJs(stages: Stages, inputs: readonly NDArray[], state: readonly NDArray[] = []): { outputs: NDArray[]; state: NDArray[]; source: string } {
  const exec = jsBackend.compile(stages, {});
  const cells = state.map((s, i) => new Cell(`s${i}`, copy(s)));
  const outputs = exec.run(inputs, cells);
  return { outputs, state: cells.map((c) => c.a), source: exec.source() };
}

/** The graph as it is (every node its own kernel) and through the pass pipeline (fused). */
export function bothStages(g: Graph): { unfused: Stages; fused: Stages } {
  return { unfused: { traced: g }, fused: lowerStages(g, { verify: true }) };
}

/** Elementwise comparison: exact for integers and booleans, relative tolerance for floats; NaN equals NaN. */
export function expectClose(actual: NDArray, expected: NDArray, what: string, rtol = 2e-5, atol = 1e-6): void {
  expect(actual.dtype, `${what}: dtype`).toBe(expected.dtype);
  expect([...actual.shape], `${what}: shape`).toEqual([...expected.shape]);
  const exact = actual.dtype === "i32" || actual.dtype === "bool";
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const ok = exact ? a === e : a === e || Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) expect.fail(`${what}: element ${i} is ${a}, the interpreter says ${e}`);
  }
}

/** Runs `g` on the interpreter and on js (unfused and fused) and compares outputs and state. */
export function checkAgainstInterpreter(g: Graph, inputs: readonly NDArray[], state: readonly NDArray[] = [], tol?: { rtol?: number; atol?: number }): { fusedSource: string } {
  const ref = interpret(g, inputs, state);
  const { unfused, fused } = bothStages(g);
  let fusedSource = "";
  for (const [label, st] of [["unfused", unfused], ["fused", fused]] as const) {
    const got = runJs(st, inputs, state);
    if (label === "fused") fusedSource = got.source;
    ref.outputs.forEach((o, i) => expectClose(got.outputs[i]!, o, `${g.name} ${label} output ${i}`, tol?.rtol, tol?.atol));
    ref.state.forEach((s, i) => expectClose(got.state[i]!, s, `${g.name} ${label} state ${i}`, tol?.rtol, tol?.atol));
  }
  return { fusedSource };
}
