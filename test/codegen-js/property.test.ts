/** @file Property test: random graphs (elementwise, broadcasting, reductions, movement, matmul, state) give the interpreter's results on js, unfused and fused. */
import { describe, it } from "vitest";
import fc from "fast-check";
import { Builder, sizeOf, type Graph, type NDArray, type Shape, type Value } from "../../src/ir/index.js";
import { checkAgainstInterpreter, randomArray, rng } from "./harness.js";

const UNARY = ["neg", "tanh", "sigmoid", "relu", "abs", "square", "sin", "cos", "floor"] as const;
const BINARY = ["add", "sub", "mul", "maximum", "minimum"] as const;
const REDUCE = ["sum", "max", "min", "mean"] as const;
const SHAPES: Shape[] = [[3, 4], [4], [3, 1], [1, 4], [], [2, 3, 4]];

/** Builds a graph from a list of choices: each choice picks an op and its operands among the values so far. */
function graphFrom(choices: readonly number[]): Graph {
  const b = new Builder("random");
  const vals: Value[] = [];
  const raw: Value[] = []; // inputs and state: comparisons only read these, so f32 rounding cannot flip them
  let k = 0;
  const pick = (): number => choices[k++ % choices.length]! + k;
  for (let i = 0; i < 3; i++) raw.push(b.input({ dtype: "f32", shape: SHAPES[pick() % SHAPES.length]! }));
  const w = b.stateParam({ dtype: "f32", shape: [3, 4] }, "w");
  raw.push(w);
  vals.push(...raw);
  const any = (): Value => vals[pick() % vals.length]!;
  const fits = (a: Shape, c: Shape): boolean => {
    for (let i = 1; i <= Math.min(a.length, c.length); i++) {
      const x = a[a.length - i]!;
      const y = c[c.length - i]!;
      if (x !== y && x !== 1 && y !== 1) return false;
    }
    return true;
  };
  const ops = 4 + (choices.length % 7);
  for (let s = 0; s < ops; s++) {
    const x = any();
    const kind = pick() % 8;
    let out: Value | undefined;
    if (kind <= 1) out = b.emit(UNARY[pick() % UNARY.length]!, [x]);
    else if (kind <= 3) {
      const y = vals.find((v, i) => i >= pick() % vals.length && fits(v.shape, x.shape)) ?? x;
      out = b.emit(BINARY[pick() % BINARY.length]!, [x, y]);
    } else if (kind === 4 && x.shape.length > 0) {
      const axis = pick() % x.shape.length;
      out = b.emit(REDUCE[pick() % REDUCE.length]!, [x], { axes: [axis], keepDims: pick() % 2 === 0 });
    } else if (kind === 5 && x.shape.length === 2) {
      out = pick() % 2 ? b.emit("transpose", [x], { perm: [1, 0] }) : b.emit("reshape", [x], { shape: [sizeOf(x.shape)] });
    } else if (kind === 6) {
      const p = raw[pick() % raw.length]!;
      const q = raw.find((v) => fits(v.shape, p.shape)) ?? p;
      out = b.o.where(b.o.greater(p, q), x, b.o.mul(x, 0.5));
    } else if (kind === 7 && x.shape.length === 2) {
      out = b.emit("matmul", [x, b.emit("reshape", [w], { shape: [4, 3] })], { transposeA: true, transposeB: true });
      if (x.shape[0] !== 3) out = b.emit("matmul", [x, x], { transposeA: true, transposeB: false });
    }
    if (out) vals.push(out);
  }
  const last = vals[vals.length - 1]!;
  b.output(last);
  const upd = vals.slice(4).find((v) => fits(v.shape, [3, 4]) && v.shape.length <= 2);
  if (upd) b.assign(w, b.o.add(w, upd.shape.join() === "3,4" ? upd : b.emit("broadcast_to", [upd], { shape: [3, 4] })));
  return b.finish();
}

describe("random graphs: js equals the interpreter", () => {
  it("for 60 random programs", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 3, maxLength: 24 }), (choices) => {
        let g: Graph;
        try {
          g = graphFrom(choices);
        } catch {
          return; // a choice list that does not type-check (e.g. a matmul that does not fit)
        }
        const r = rng(choices.reduce((a, c) => a * 31 + c, 7));
        const gen = (v: Value): NDArray => randomArray(v.type, "float", r);
        checkAgainstInterpreter(g, g.inputs.map(gen), g.state.map((s) => gen(s.value)), { rtol: 1e-4, atol: 1e-4 });
      }),
      { numRuns: 60, seed: 20240611 },
    );
  });
});
