/** @file Hand-written kernels other than matmul: gather, scatter_add, argmax, iota, counter-based random numbers.
 *
 * Self-contained (no imports) so that an AOT module's runtime is just these files. Every kernel
 * writes into a caller-owned array: nothing here allocates per call.
 */
import type { Arr } from "./matmul.js";

/** Raised by kernels on bad data (an index out of range); the js backend turns it into a GraftError. */
export class KernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KernelError";
  }
}

/** out[p, j, q] = x[p, idx[j], q] for p < outer, j < m (= idx.length), q < inner; x's gathered axis has n entries. */
export function gather(x: Arr, idx: Int32Array, out: Arr, outer: number, n: number, inner: number): void {
  const m = idx.length;
  for (let j = 0; j < m; j++) {
    const k = idx[j]!;
    if (k < 0 || k >= n) throw new KernelError(`gather: index ${k} is out of range [0, ${n})`);
  }
  if (inner === 1) {
    for (let p = 0; p < outer; p++) {
      const xo = p * n;
      const oo = p * m;
      for (let j = 0; j < m; j++) out[oo + j] = x[xo + idx[j]!]!;
    }
    return;
  }
  for (let p = 0; p < outer; p++) {
    for (let j = 0; j < m; j++) {
      const src = (p * n + idx[j]!) * inner;
      const dst = (p * m + j) * inner;
      for (let q = 0; q < inner; q++) out[dst + q] = x[src + q]!;
    }
  }
}

/** out = 0; out[p, idx[j], q] += u[p, j, q]: the adjoint of gather (repeated indices accumulate). */
export function scatterAdd(u: Arr, idx: Int32Array, out: Arr, outer: number, size: number, inner: number): void {
  const m = idx.length;
  for (let j = 0; j < m; j++) {
    const k = idx[j]!;
    if (k < 0 || k >= size) throw new KernelError(`scatter_add: index ${k} is out of range [0, ${size})`);
  }
  out.fill(0);
  for (let p = 0; p < outer; p++) {
    for (let j = 0; j < m; j++) {
      const dst = (p * size + idx[j]!) * inner;
      const src = (p * m + j) * inner;
      for (let q = 0; q < inner; q++) out[dst + q] += u[src + q]!;
    }
  }
}

/** out[p, q] = the first k maximizing x[p, k, q] (k < n); NaN never wins, as the interpreter's `>`. */
export function argmax(x: Arr, out: Int32Array, outer: number, n: number, inner: number): void {
  for (let p = 0; p < outer; p++) {
    for (let q = 0; q < inner; q++) {
      const base = p * n * inner + q;
      let best = 0;
      let bv = x[base]!;
      for (let k = 1; k < n; k++) {
        const v = x[base + k * inner]!;
        if (v > bv) {
          bv = v;
          best = k;
        }
      }
      out[p * inner + q] = best;
    }
  }
}

/** out[i] = (i / stride | 0) % n: each element's index along one axis. */
export function iota(out: Arr, stride: number, n: number): Arr {
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(i / stride) % n;
  return out;
}

/**
 * Threefry-2x32 with 20 rounds (Salmon et al. 2011), the same function as src/ir/random.ts but
 * unrolled into locals: no arrays per call. Writes the two words into tf0/tf1 below.
 */
let tf0 = 0;
let tf1 = 0;
function threefry(k0: number, k1: number, c0: number, c1: number): void {
  const k2 = (k0 ^ k1 ^ 0x1bd11bda) >>> 0;
  let x0 = (c0 + k0) >>> 0;
  let x1 = (c1 + k1) >>> 0;
  // rotation schedule 13 15 26 6 | 17 29 16 24, key injection after every 4 rounds
  for (let s = 1; s <= 5; s++) {
    const odd = (s & 1) === 1;
    let r = odd ? 13 : 17;
    x0 = (x0 + x1) >>> 0; x1 = (((x1 << r) | (x1 >>> (32 - r))) ^ x0) >>> 0;
    r = odd ? 15 : 29;
    x0 = (x0 + x1) >>> 0; x1 = (((x1 << r) | (x1 >>> (32 - r))) ^ x0) >>> 0;
    r = odd ? 26 : 16;
    x0 = (x0 + x1) >>> 0; x1 = (((x1 << r) | (x1 >>> (32 - r))) ^ x0) >>> 0;
    r = odd ? 6 : 24;
    x0 = (x0 + x1) >>> 0; x1 = (((x1 << r) | (x1 >>> (32 - r))) ^ x0) >>> 0;
    const m = s % 3;
    x0 = (x0 + (m === 0 ? k0 : m === 1 ? k1 : k2)) >>> 0;
    const m1 = (s + 1) % 3;
    x1 = (x1 + (m1 === 0 ? k0 : m1 === 1 ? k1 : k2) + s) >>> 0;
  }
  tf0 = x0;
  tf1 = x1;
}

/** Uniform [0, 1) from the top 24 bits of word 0 of counter (i, 0) under key (key[0], key[1]). */
export function randomUniform(key: Int32Array, out: Arr): void {
  const k0 = key[0]! >>> 0;
  const k1 = key[1]! >>> 0;
  for (let i = 0; i < out.length; i++) {
    threefry(k0, k1, i, 0);
    out[i] = (tf0 >>> 8) / 16777216;
  }
}

/** Standard normals by Box-Muller on both words of counter (i, 0). */
export function randomNormal(key: Int32Array, out: Arr): void {
  const k0 = key[0]! >>> 0;
  const k1 = key[1]! >>> 0;
  for (let i = 0; i < out.length; i++) {
    threefry(k0, k1, i, 0);
    const u1 = ((tf0 >>> 8) + 1) / 16777217;
    const u2 = (tf1 >>> 8) / 16777216;
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/** Decodes base64 (constants and initial state embedded in AOT modules) into `out`'s bytes. */
export function fromBase64<T extends Arr>(text: string, out: T): T {
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length && o < bytes.length; i++) {
    const v = A.indexOf(text[i]!);
    if (v < 0) continue; // '=' padding
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[o++] = (acc >> bits) & 255;
    }
  }
  return out;
}
