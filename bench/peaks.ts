/** @file Machine peaks measured in the same run: scalar JS and wasm-SIMD multiply-add GFLOP/s, memory GB/s. */

export interface Peaks {
  /** scalar JS (f64 locals, several independent mul+add chains), GFLOP/s */
  jsGflops: number;
  /** wasm f32x4.mul + f32x4.add on independent v128 locals, GFLOP/s */
  wasmSimdGflops: number;
  /** Float32Array copy: read + write bytes per second, GB/s */
  copyGBs: number;
  /** triad a[i] = b[i] + s*c[i]: 2 reads + 1 write, GB/s */
  triadGBs: number;
  /** array length (f32 elements) of the bandwidth probes */
  bandwidthElements: number;
}

/** Best of `reps` timings of f(), ms. */
function bestMs(reps: number, f: () => void): number {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Scalar JS

/**
 * 8 independent chains a = a*m + c: 16 FLOPs per iteration, no dependence between chains, so the
 * loop is bound by the FP units rather than by add latency. Values converge to c/(1-m) = 1: no
 * overflow or denormals. Returns the sum so the work cannot be dropped.
 */
function jsMulAdd(iters: number, seed: number): number {
  const m = 0.999999;
  const c = 0.000001;
  let a0 = seed, a1 = seed + 0.1, a2 = seed + 0.2, a3 = seed + 0.3;
  let a4 = seed + 0.4, a5 = seed + 0.5, a6 = seed + 0.6, a7 = seed + 0.7;
  for (let i = 0; i < iters; i++) {
    a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
    a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
  }
  return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

export function measureJsPeak(iters = 20_000_000, reps = 5): number {
  let sink = 0;
  sink += jsMulAdd(10000, 0.5); // tier up before timing
  const ms = bestMs(reps, () => {
    sink += jsMulAdd(iters, 0.5);
  });
  if (!Number.isFinite(sink)) throw new Error("js peak: non-finite");
  return (16 * iters) / (ms * 1e6);
}

// ---------------------------------------------------------------------------------------------
// Wasm SIMD, assembled by hand

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function f32Bytes(x: number): number[] {
  return [...new Uint8Array(new Float32Array([x]).buffer)];
}

/** A section: id, then its byte length, then its body. */
function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

const OP = {
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  f32Const: 0x43,
  i32Sub: 0x6b,
  f32Add: 0x92,
  simd: 0xfd,
} as const;
// SIMD sub-opcodes (after 0xfd, LEB128-encoded).
const SIMD = { f32x4Splat: 0x13, f32x4ExtractLane: 0x1f, f32x4Add: 0xe4, f32x4Mul: 0xe6 } as const;
const T = { i32: 0x7f, f32: 0x7d, v128: 0x7b, func: 0x60, emptyBlock: 0x40 } as const;

/** Number of independent v128 accumulators: enough to cover mul+add latency on 2 FP pipes. */
export const SIMD_CHAINS = 12;

/**
 * (func (export "run") (param $iters i32) (result f32)
 *   v_k = splat(1 + k/100) for k < CHAINS;  m = splat(0.999999);  c = splat(0.000001)
 *   (loop  v_k = f32x4.add(f32x4.mul(v_k, m), c) for every k
 *          br_if 0 (iters = iters - 1) != 0)
 *   return sum_k lane0(v_k))
 * Each iteration does CHAINS * 4 lanes * 2 = 96 FLOPs.
 */
export function simdModuleBytes(chains = SIMD_CHAINS): Uint8Array {
  const iters = 0;
  const v = (k: number) => 1 + k; // locals 1..chains
  const m = chains + 1;
  const c = chains + 2;
  const simd = (op: number, ...imm: number[]) => [OP.simd, ...uleb(op), ...imm];
  const body: number[] = [];
  const splat = (local: number, x: number) =>
    body.push(OP.f32Const, ...f32Bytes(x), ...simd(SIMD.f32x4Splat), OP.localSet, ...uleb(local));
  for (let k = 0; k < chains; k++) splat(v(k), 1 + k / 100);
  splat(m, 0.999999);
  splat(c, 0.000001);
  body.push(OP.loop, T.emptyBlock);
  for (let k = 0; k < chains; k++) {
    body.push(OP.localGet, ...uleb(v(k)), OP.localGet, ...uleb(m), ...simd(SIMD.f32x4Mul));
    body.push(OP.localGet, ...uleb(c), ...simd(SIMD.f32x4Add), OP.localSet, ...uleb(v(k)));
  }
  body.push(OP.localGet, iters, OP.i32Const, 1, OP.i32Sub, OP.localTee, iters, OP.brIf, 0, OP.end);
  for (let k = 0; k < chains; k++) {
    body.push(OP.localGet, ...uleb(v(k)), ...simd(SIMD.f32x4ExtractLane, 0));
    if (k > 0) body.push(OP.f32Add);
  }
  body.push(OP.end);
  const locals = [1, ...uleb(chains + 2), T.v128]; // one group: chains + 2 v128 locals
  const func = [...uleb(locals.length + body.length), ...locals, ...body];
  const name = [..."run"].map((ch) => ch.charCodeAt(0));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [1, T.func, 1, T.i32, 1, T.f32]), // types: (i32) -> f32
    ...section(3, [1, 0]), // functions: one, of type 0
    ...section(7, [1, name.length, ...name, 0x00, 0]), // exports: "run" = func 0
    ...section(10, [1, ...func]), // code
  ]);
}

/** What the module computes, in JS with f32 rounding, for a self-check. */
export function simdReference(iters: number, chains = SIMD_CHAINS): number {
  const f = Math.fround;
  let sum = 0;
  for (let k = 0; k < chains; k++) {
    let x = f(1 + k / 100);
    for (let i = 0; i < iters; i++) x = f(f(x * f(0.999999)) + f(0.000001));
    sum = f(sum + x);
  }
  return sum;
}

/** The runtime's WebAssembly global; tsconfig's lib (ES2022, no DOM) declares no value for it. */
interface WasmGlobal {
  instantiate(bytes: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const wasmGlobal = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;

export async function loadSimdKernel(): Promise<(iters: number) => number> {
  const { instance } = await wasmGlobal.instantiate(simdModuleBytes());
  return instance.exports.run as (iters: number) => number;
}

export async function measureWasmSimdPeak(iters = 10_000_000, reps = 5): Promise<number> {
  const run = await loadSimdKernel();
  const check = run(1000);
  const want = simdReference(1000);
  if (Math.abs(check - want) > 1e-3) throw new Error(`wasm simd kernel: got ${check}, want ${want}`);
  let sink = 0;
  const ms = bestMs(reps, () => {
    sink += run(iters);
  });
  if (!Number.isFinite(sink)) throw new Error("wasm peak: non-finite");
  return (SIMD_CHAINS * 4 * 2 * iters) / (ms * 1e6);
}

// ---------------------------------------------------------------------------------------------
// Memory bandwidth

export function measureBandwidth(n = 16 * 1024 * 1024, reps = 5): { copyGBs: number; triadGBs: number } {
  const a = new Float32Array(n);
  const b = new Float32Array(n).fill(1);
  const c = new Float32Array(n).fill(2);
  const triad = (s: number) => {
    for (let i = 0; i < n; i++) a[i] = b[i] + s * c[i];
  };
  triad(0.5); // touch every page and tier up
  const copyMs = bestMs(reps, () => a.set(b));
  const triadMs = bestMs(reps, () => triad(0.5));
  if (a[n - 1] !== 2) throw new Error("bandwidth probe: wrong result");
  return { copyGBs: (2 * 4 * n) / (copyMs * 1e6), triadGBs: (3 * 4 * n) / (triadMs * 1e6) };
}

export interface PeakOptions {
  quick?: boolean;
  tiny?: boolean;
}

export async function measurePeaks(opts: PeakOptions = {}): Promise<Peaks> {
  const scale = opts.tiny ? 0.02 : opts.quick ? 0.4 : 1;
  const reps = opts.tiny ? 2 : opts.quick ? 3 : 5;
  const n = opts.tiny ? 1 << 20 : 16 << 20;
  const jsGflops = measureJsPeak(Math.round(20_000_000 * scale), reps);
  const wasmSimdGflops = await measureWasmSimdPeak(Math.round(10_000_000 * scale), reps);
  const bw = measureBandwidth(n, reps);
  return { jsGflops, wasmSimdGflops, ...bw, bandwidthElements: n };
}
