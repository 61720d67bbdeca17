/** @file Threefry-2x32 (Salmon et al. 2011, 20 rounds): counter-based random bits, so element i of a
 * random tensor depends only on (key, i), never on execution order or backend. */

const ROT = [13, 15, 26, 6, 17, 29, 16, 24];

/** Encrypts counter (c0, c1) under key (k0, k1); writes two 32-bit words into out. */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number, out: Uint32Array): void {
  const k2 = (k0 ^ k1 ^ 0x1bd11bda) >>> 0;
  const ks = [k0 >>> 0, k1 >>> 0, k2];
  let x0 = (c0 + ks[0]!) >>> 0;
  let x1 = (c1 + ks[1]!) >>> 0;
  for (let r = 0; r < 20; r++) {
    const rot = ROT[r % 8]!;
    x0 = (x0 + x1) >>> 0;
    x1 = ((x1 << rot) | (x1 >>> (32 - rot))) ^ x0;
    x1 >>>= 0;
    if (r % 4 === 3) {
      const s = (r + 1) / 4;
      x0 = (x0 + ks[s % 3]!) >>> 0;
      x1 = (x1 + ks[(s + 1) % 3]! + s) >>> 0;
    }
  }
  out[0] = x0;
  out[1] = x1;
}

/** Uniform in [0, 1) from the top 24 bits (exact in f32 and f64 alike). */
export const bitsToUniform = (w: number): number => (w >>> 8) / 16777216;

/** Fills `out` with uniform [0,1) numbers: element i from counter (i, 0). */
export function fillUniform(k0: number, k1: number, out: { length: number; [i: number]: number }): void {
  const w = new Uint32Array(2);
  for (let i = 0; i < out.length; i++) {
    threefry2x32(k0, k1, i, 0, w);
    out[i] = bitsToUniform(w[0]!);
  }
}

/** Fills `out` with standard normals by Box-Muller on both words of counter (i, 0). */
export function fillNormal(k0: number, k1: number, out: { length: number; [i: number]: number }): void {
  const w = new Uint32Array(2);
  for (let i = 0; i < out.length; i++) {
    threefry2x32(k0, k1, i, 0, w);
    const u1 = ((w[0]! >>> 8) + 1) / 16777217; // in (0, 1]: log is finite
    const u2 = bitsToUniform(w[1]!);
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/**
 * mulberry32: a tiny seeded 32-bit generator, uniform in [0, 1), for host-side choices (shuffles,
 * initial weights, test data). Not for tensors: those use the counter-based Threefry above.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
