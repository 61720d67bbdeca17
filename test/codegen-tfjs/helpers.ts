/** @file Helpers for the tfjs codegen tests: seeded arrays, running a graph on tfjs and on the interpreter. */
import { expect } from "vitest";
import { interpret, nd, type DType, type Graph, type NDArray } from "../../src/ir/index.js";
import { tfjsBackend, type TfjsBackendName } from "../../src/runtime/tfjs.js";
import type { StateCell } from "../../src/runtime/backend.js";

/** mulberry32: reproducible inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export class Gen {
  private readonly r: () => number;
  constructor(seed = 7) {
    this.r = rng(seed);
  }
  f(shape: readonly number[], lo = -2, hi = 2, dtype: DType = "f32"): NDArray {
    return nd(dtype, shape, Array.from({ length: size(shape) }, () => lo + (hi - lo) * this.r()));
  }
  /** Integer-valued floats, so comparisons and max/min see ties. */
  fi(shape: readonly number[], lo = -2, hi = 2): NDArray {
    return nd("f32", shape, Array.from({ length: size(shape) }, () => Math.floor(lo + (hi - lo + 1) * this.r())));
  }
  i(shape: readonly number[], lo = -5, hi = 5): NDArray {
    return nd("i32", shape, Array.from({ length: size(shape) }, () => Math.floor(lo + (hi - lo + 1) * this.r())));
  }
  b(shape: readonly number[]): NDArray {
    return nd("bool", shape, Array.from({ length: size(shape) }, () => (this.r() < 0.5 ? 1 : 0)));
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
