/** @file Every op on the wasm backend equals the reference interpreter (the shared op table), plus shapes that exercise SIMD tails, matmul blocking and where each kernel runs. */
import { describe, expect, it } from "vitest";
import { Builder, OP_NAMES, OPS, type DType } from "../../src/ir/index.js";
import { lowerStages } from "../../src/passes/pipeline.js";
import { wasmBackend } from "../../src/runtime/wasm.js";
import { CASES } from "../codegen-js/op-cases.js";
import { randomArray, rng, type Fill } from "../codegen-js/harness.js";
import { checkWasm } from "./harness.js";

// elementwise and reduction kernels round like the interpreter op by op: bit-equal when unfused
const exactKind = (op: string): boolean => OPS[op as keyof typeof OPS].kind === "elementwise" || OPS[op as keyof typeof OPS].kind === "reduce";

describe("wasm backend vs interpreter, op by op", () => {
  it("has a case for every op", () => {
    expect(OP_NAMES.filter((op) => !(op in CASES))).toEqual([]);
  });
  for (const op of OP_NAMES) {
    const cases = CASES[op];
    if (!cases || !Array.isArray(cases)) continue;
    describe(op, () => {
      cases.forEach((k, ci) => {
        it(k.label, () => {
          const b = new Builder(`${op}_${ci}`);
          const xs = k.ins.map(([dtype, shape]) => b.input({ dtype, shape }));
          const out = k.build(b, xs);
          b.output(...(Array.isArray(out) ? out : [out]));
          const r = rng(ci * 7919 + op.length);
          const inputs = k.ins.map(([dtype, shape, fill]) => randomArray({ dtype, shape }, fill ?? (dtype === "bool" ? "bool" : dtype === "i32" ? "int" : "float"), r));
          // matmul sums in f32 (the interpreter in f64): a bound, and the bits are checked against an f32 oracle below
          checkWasm(b.finish(), inputs, [], OPS[op].kind === "contract" ? { rtol: 1e-4, atol: 1e-4 } : { exact: exactKind(op) });
        });
      });
    });
  }
});

type In = readonly [DType, readonly number[], Fill?];
const run = (name: string, ins: readonly In[], build: (b: Builder, xs: ReturnType<Builder["input"]>[]) => ReturnType<Builder["input"]>[], exact = false) => {
  const b = new Builder(name);
  const xs = ins.map(([dtype, shape]) => b.input({ dtype, shape }));
  b.output(...build(b, xs));
  const r = rng(name.length * 31);
  const inputs = ins.map(([dtype, shape, fill]) => randomArray({ dtype, shape }, fill ?? "float", r));
  return { inputs, ...checkWasm(b.finish(), inputs, [], exact ? { exact } : { rtol: 1e-4, atol: 1e-4 }) };
};

/** The documented summation order as an oracle: C[i,j] = fl(fl(C + fl(a b))) over k in order, every step rounded to f32. */
function f32Matmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, ta: boolean, tb: boolean): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s = Math.fround(s + Math.fround(a[ta ? q * m + i : i * k + q]! * b[tb ? j * k + q : q * n + j]!));
      c[i * n + j] = s;
    }
  }
  return c;
}

describe("wasm kernels at sizes that take every path", () => {
  it("SIMD loops with scalar tails, row broadcasts and masks (exact)", () => {
    for (const n of [1, 3, 4, 5, 37]) {
      run(`simd_${n}`, [["f32", [3, n]], ["f32", [n]], ["f32", [3, 1]]], (b, [x, y, z]) => [
        b.o.where(b.o.greater(x!, y!), b.o.mul(b.o.sub(x!, z!), 1.5), b.o.maximum(b.o.neg(x!), b.o.sqrt(b.o.abs(y!)))),
      ], true);
      run(`simd64_${n}`, [["f64", [2, n]], ["f64", [n]]], (b, [x, y]) => [b.o.div(b.o.add(x!, y!), b.o.add(b.o.square(y!), 1))], true);
    }
  });
  it("reductions along the innermost loop vectorize their prologue and fold lanes in order (exact)", () => {
    for (const n of [4, 6, 37]) {
      run(`red_${n}`, [["f32", [3, n]], ["f32", [n]]], (b, [x, y]) => [
        b.emit("sum", [b.o.add(b.o.mul(x!, y!), 1)], { axes: [1], keepDims: false }),
        b.emit("max", [b.o.neg(x!)], { axes: [1], keepDims: true }),
        b.emit("mean", [b.o.sqrt(b.o.abs(x!))], { axes: [1], keepDims: false }),
      ], true);
      run(`red_tanh_${n}`, [["f32", [5, n]]], (b, [x]) => [b.emit("mean", [b.o.mul(b.emit("tanh", [b.o.add(b.o.mul(x!, 0.5), 0.1)]), x!)], { axes: [1], keepDims: false })]);
    }
  });
  it("loop invariants (a scalar i32 test, a scalar rate) hoisted and splatted into the SIMD loop (exact)", () => {
    for (const n of [7, 64]) {
      run(`inv_${n}`, [["f32", [n]], ["f32", [n]], ["f32", []], ["i32", [], "int"]], (b, [g, v, lr, it]) => {
        const m = b.o.sub(v!, b.o.mul(lr!, g!));
        return [b.o.where(b.o.equal(it!, 0), m, b.o.where(b.o.greater_equal(b.o.mul(g!, v!), 0), m, b.o.mul(b.o.add(v!, g!), 0.5)))];
      }, true);
    }
  });
  it("matmul: 4-row blocks and row tails, vector and scalar column tails, K blocks beyond 256, transposes and f64", () => {
    for (const [m, k, n] of [[13, 300, 21], [6, 8, 8], [1, 1, 1], [7, 513, 4]] as const) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const name = `mm_${m}_${k}_${n}_${ta}_${tb}`;
          const { inputs } = run(name, [["f32", ta ? [k, m] : [m, k]], ["f32", tb ? [n, k] : [k, n]]], (b, [x, y]) => [b.emit("matmul", [x!, y!], { transposeA: ta, transposeB: tb })]);
          // bit for bit: the blocking (4-row tiles, K blocks of 256, tails) never changes the order
          const b = new Builder(name);
          const [x, y] = inputs.map((a) => b.input({ dtype: a.dtype, shape: a.shape }));
          b.output(b.emit("matmul", [x!, y!], { transposeA: ta, transposeB: tb }));
          const got = wasmBackend.compile({ traced: b.finish() }, {}).run(inputs, [])[0]!;
          expect(Array.from(got.data)).toEqual(Array.from(f32Matmul(inputs[0]!.data, inputs[1]!.data, m, k, n, ta, tb)));
        }
      }
    }
    run("mm_f64", [["f64", [9, 17]], ["f64", [17, 11]]], (b, [x, y]) => [b.emit("matmul", [x!, y!], { transposeA: false, transposeB: false })]);
  });
  it("a fused MLP layer runs as one Wasm kernel with SIMD epilogue; index ops run as js kernels on the same memory", () => {
    const b = new Builder("layer");
    const x = b.input({ dtype: "f32", shape: [8, 16] });
    const w = b.input({ dtype: "f32", shape: [16, 12] });
    const bias = b.input({ dtype: "f32", shape: [12] });
    const i = b.input({ dtype: "i32", shape: [8] });
    const h = b.emit("relu", [b.o.add(b.emit("matmul", [x, w], { transposeA: false, transposeB: false }), bias)]);
    b.output(h, b.emit("gather", [h, i], { axis: 0 }));
    const g = b.finish();
    const exec = wasmBackend.compile(lowerStages(g), {});
    const src = exec.source();
    expect(src).toMatch(/k0_matmul_add_relu: wasm simd/);
    expect(src).toMatch(/gather: js/);
    const r = rng(3);
    const ins = [randomArray(x.type, "float", r), randomArray(w.type, "float", r), randomArray(bias.type, "float", r), randomArray(i.type, { idx: 8 }, r)];
    checkWasm(g, ins);
  });
});
