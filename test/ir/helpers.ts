/** @file Test helpers for the IR suite: seeded random arrays, one-node graphs, closeness, round-trip checks. */
import { expect } from "vitest";
import {
  Builder, fromJSON, interpret, nd, parse, print, toJSON, verify,
  type DType, type Graph, type NDArray, type OpName,
} from "../../src/ir/index.js";
import { mulberry32 as rng } from "../../src/ir/random.js";
/** The seeded PRNG every test and bench shares (mulberry32). */
export { rng };


const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Random arrays for op inputs. `ints` rounds (so comparisons see ties); `lo..hi` is the range. */
export class Gen {
  private readonly r: () => number;
  constructor(seed = 1) {
    this.r = rng(seed);
  }
  f(shape: readonly number[], lo = -2, hi = 2, dtype: DType = "f32"): NDArray {
    return nd(dtype, shape, Array.from({ length: size(shape) }, () => lo + (hi - lo) * this.r()));
  }
  /** Floats with integer values: comparisons and max/min then see ties. */
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

/** A graph with one input per array and one `op` node; returns the graph. */
export function oneOp(op: OpName, ins: readonly NDArray[], attrs: Record<string, unknown> = {}, body?: Graph): Graph {
  const b = new Builder(op);
  const vals = ins.map((a) => b.input({ dtype: a.dtype, shape: a.shape }));
  const outs = b.emitMulti(op, vals, attrs as never, undefined, body);
  b.output(...outs);
  return b.finish();
}

/** Runs a one-node graph through the interpreter. */
export function runOp(op: OpName, ins: readonly NDArray[], attrs: Record<string, unknown> = {}, f64 = false): NDArray {
  const g = oneOp(op, ins, attrs);
  return interpret(g, ins, [], { f64 }).outputs[0]!;
}

export const tfDType = (d: DType): "float32" | "int32" | "bool" => (d === "i32" ? "int32" : d === "bool" ? "bool" : "float32");

/** Asserts `got` matches `want` elementwise: exact for ints/bools, |got - want| <= atol + rtol |want| for floats. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-5, atol = 1e-6, what = ""): void {
  expect(got.length, `${what} length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${what} element ${i}: got ${g}, want ${w}`).toBe(true);
      continue;
    }
    if (Math.abs(g - w) > atol + rtol * Math.abs(w)) {
      expect.fail(`${what} element ${i}: got ${g}, want ${w} (|diff| ${Math.abs(g - w)})`);
    }
  }
}

/** Every graph the suite builds passes through here: verify, print → parse → print, JSON round trip. */
export function expectRoundTrip(g: Graph, opts: { locs?: boolean } = {}): string {
  verify(g);
  const text = print(g, opts);
  const back = parse(text);
  verify(back);
  expect(print(back, opts), "print → parse → print").toBe(text);
  const json = JSON.stringify(toJSON(g));
  const fromJ = fromJSON(json);
  verify(fromJ);
  expect(print(fromJ, opts), "JSON round trip").toBe(text);
  // and the reparsed graph survives JSON too
  expect(print(fromJSON(JSON.stringify(toJSON(back))), opts), "parse → JSON → print").toBe(text);
  return text;
}
