/** @file The wasm backend's f32 transcendentals against float64 Math: at most 1 ulp on 2^21 inputs per function (spread over the whole f32 range) and exact at the edge cases. */
import { describe, expect, it } from "vitest";
import { Builder, nd } from "../../src/ir/index.js";
import { wasmBackend } from "../../src/runtime/wasm.js";

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const REF = { exp: Math.exp, expm1: Math.expm1, log: Math.log, log1p: Math.log1p, tanh: Math.tanh, sigmoid } as const;
type Name = keyof typeof REF;

/** Distance in f32 ulps between two f32 values (same sign ordering; NaN only matches NaN). */
const bits = new Float32Array(1);
const ints = new Int32Array(bits.buffer);
function ordered(x: number): number {
  bits[0] = x;
  const i = ints[0]!;
  return i < 0 ? -0x80000000 - i : i;
}
const ulps = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? (Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity) : Math.abs(ordered(a) - ordered(b)));

/** 2^21 inputs: every exponent of f32 with random mantissas and signs (where the function takes them), plus a dense band near 0. */
function inputs(name: Name): Float32Array {
  const n = 1 << 21;
  const out = new Float32Array(n);
  let s = 12345;
  const r = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const positive = name === "log";
  for (let i = 0; i < n; i++) {
    const band = i % 4 === 0 ? (r() - 0.5) * 40 : (r() < 0.5 ? -1 : 1) * 2 ** (r() * 254 - 149);
    out[i] = positive ? Math.abs(band) : name === "log1p" && band < -1 ? -r() : band;
  }
  return out;
}

const EDGES = [0, -0, Infinity, -Infinity, NaN, 1, -1, 1e-45, -1e-45, 1.1754944e-38, 88.72283, 88.72284, -87.33655, -103.97208, -103.97209, 89, -104, 3.4028235e38, -3.4028235e38, 9.01, 10, -1 + 2 ** -24, 2 ** -30, -(2 ** -30), 0.5, 2];

function runOp(name: Name, x: Float32Array): Float32Array {
  const b = new Builder(name);
  const v = b.input({ dtype: "f32", shape: [x.length] });
  b.output(b.emit(name, [v]));
  return wasmBackend.compile({ traced: b.finish() }, {}).run([nd("f32", [x.length], x)], [])[0]!.data as Float32Array;
}

describe("wasm f32 vector math vs float64", () => {
  for (const name of Object.keys(REF) as Name[]) {
    it(`${name}: at most 1 ulp from the float64 value rounded to f32 over 2^21 inputs; 0 ulp on the edge cases`, () => {
      const x = inputs(name);
      const got = runOp(name, x);
      let worst = 0;
      let off = 0;
      for (let i = 0; i < x.length; i++) {
        const u = ulps(got[i]!, Math.fround(REF[name](x[i]!)));
        if (u > worst) worst = u;
        if (u) off++;
      }
      if (process.env["VMATH_REPORT"]) console.log(`${name}: max ${worst} ulp, ${off} of ${x.length} not correctly rounded`);
      expect(worst, `${name}: max ulp`).toBeLessThanOrEqual(1);
      expect(off / x.length, `${name}: share of inputs not correctly rounded`).toBeLessThan(1e-3);
      const e = Float32Array.from(EDGES.filter((v) => (name === "log" ? !(v < 0) : true)));
      const ge = runOp(name, e);
      e.forEach((v, i) => {
        const want = Math.fround(REF[name](v));
        expect(Object.is(ge[i], want) || ulps(ge[i]!, want) === 0, `${name}(${v}) = ${ge[i]}, want ${want}`).toBe(true);
      });
    });
  }
});
