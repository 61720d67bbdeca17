/** @file Shared helpers for pass tests: seeded inputs with NaN/Inf, and a tolerance compare that knows non-finite values. */
import { interpret, nd, sizeOf, type Graph, type NDArray, type TensorType } from "../../src/ir/index.js";
import { mulberry32 as rng } from "../../src/ir/random.js";
/** The seeded PRNG every test and bench shares (mulberry32). */
export { rng };


const SPECIALS = [NaN, Infinity, -Infinity, 0, -0];

/** Values for one tensor type: uniform in [-range, range], with `special` of them NaN/±Inf/±0. */
export function arrayFor(t: TensorType, r: () => number, special = 0, range = 3): NDArray {
  const n = sizeOf(t.shape);
  const data = Array.from({ length: n }, () => {
    if (t.dtype === "bool") return r() < 0.5 ? 0 : 1;
    if (t.dtype === "i32") return Math.floor(r() * 7) - 3;
    return r() < special ? SPECIALS[Math.floor(r() * SPECIALS.length)]! : (r() * 2 - 1) * range;
  });
  return nd(t.dtype, t.shape, data);
}

/** Runs `g` on inputs and state drawn from `seed`; returns outputs then new state, flattened. */
export function runOn(g: Graph, seed: number, special = 0, range = 3): number[][] {
  const r = rng(seed);
  const ins = g.inputs.map((v) => arrayFor(v.type, r, special, range));
  const st = g.state.map((s) => arrayFor(s.value.type, r, special, range));
  const res = interpret(g, ins, st);
  return [...res.outputs, ...res.state].map((a) => Array.from(a.data));
}

/** Equal within tolerance; NaN matches NaN, an infinity matches the same infinity, -0 matches 0. */
export function close(a: number, b: number, rtol = 1e-5, atol = 1e-6): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

/** The first mismatch between two runs, as text, or undefined; `signedZeros` also tells -0 from +0. */
export function mismatch(a: number[][], b: number[][], rtol?: number, atol?: number, signedZeros = false): string | undefined {
  if (a.length !== b.length) return `${a.length} results vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a[i]!.length; j++) {
      const [x, y] = [a[i]![j]!, b[i]![j]!];
      if (!close(x, y, rtol, atol) || (signedZeros && x === 0 && y === 0 && !Object.is(x, y))) return `result ${i}[${j}]: ${Object.is(x, -0) ? "-0" : x} vs ${Object.is(y, -0) ? "-0" : y}`;
    }
  }
  return undefined;
}
