/** @file Blocked matmul for the js backend and AOT modules: operands packed into f64 panels, 4x4 register tiles.
 *
 * C[M,N] = A[M,K] B[K,N] with A and B read through strides, so transposed operands cost nothing
 * extra: packing reads them in whatever order they lie and writes panels the micro-kernel streams
 * sequentially. The structure is GotoBLAS's, scaled to scalar JS:
 *   for each column block of NC (B block of KC x NC stays in L2)
 *     for each depth block of KC: pack B[kc, nc] into NR-wide panels (k-major)
 *       for each row block of MC: pack A[mc, kc] into MR-tall panels (k-major)
 *         for every NR x MR tile: 16 accumulators in registers across the whole KC loop.
 * Panels are Float64Array whatever the operand dtype: the inner loop then never converts f32 to
 * f64 and stays monomorphic; accumulation is in doubles, as the reference interpreter does.
 * Each tile does 32 flops per 8 loads (the i-k-j loop does 2 per 3 memory operations).
 */

export type Arr = Float32Array | Float64Array | Int32Array | Uint8Array;

const MR = 4;
const NR = 4;
/** Rows of A per packed block: MC x KC doubles (128 KiB at KC=256) stay in L2. */
const MC = 64;
/** Columns of B per packed block. */
const NC = 256;
/** Largest depth block; K is split into equal blocks no deeper than this. */
const KC_MAX = 384;

// Packing scratch, grown on first use and then reused: steady-state steps allocate nothing.
let packA = new Float64Array(MC * KC_MAX);
let packB = new Float64Array(KC_MAX * NC);

/** Packs rows [i0, i0+mc) x depth [k0, k0+kc) of A into MR-row panels: panel p, depth k, row r at p*kc*MR + k*MR + r. */
function packRows(A: Arr, aOff: number, sAi: number, sAk: number, i0: number, mc: number, k0: number, kc: number, dst: Float64Array): void {
  for (let p = 0; p < mc; p += MR) {
    const base = p * kc;
    const rows = Math.min(MR, mc - p);
    for (let r = 0; r < MR; r++) {
      if (r >= rows) {
        for (let k = 0; k < kc; k++) dst[base + k * MR + r] = 0;
        continue;
      }
      let src = aOff + (i0 + p + r) * sAi + k0 * sAk;
      for (let k = 0; k < kc; k++, src += sAk) dst[base + k * MR + r] = A[src]!;
    }
  }
}

/** Packs depth [k0, k0+kc) x columns [j0, j0+nc) of B into NR-column panels (k-major, zero padded). */
function packCols(B: Arr, bOff: number, sBk: number, sBj: number, k0: number, kc: number, j0: number, nc: number, dst: Float64Array): void {
  for (let p = 0; p < nc; p += NR) {
    const base = p * kc;
    const cols = Math.min(NR, nc - p);
    for (let c = 0; c < NR; c++) {
      if (c >= cols) {
        for (let k = 0; k < kc; k++) dst[base + k * NR + c] = 0;
        continue;
      }
      let src = bOff + k0 * sBk + (j0 + p + c) * sBj;
      for (let k = 0; k < kc; k++, src += sBk) dst[base + k * NR + c] = B[src]!;
    }
  }
}

/**
 * One MR x NR tile over a packed depth block: C[ci.., cj..] (+)= Ap panel x Bp panel.
 * `first` overwrites C (the first depth block), later blocks accumulate.
 */
function tile(Ap: Float64Array, ao: number, Bp: Float64Array, bo: number, kc: number, C: Arr, co: number, ldc: number, rows: number, cols: number, first: boolean): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const end = ao + kc * MR;
  while (ao < end) {
    const a0 = Ap[ao]!, a1 = Ap[ao + 1]!, a2 = Ap[ao + 2]!, a3 = Ap[ao + 3]!;
    let b = Bp[bo]!;
    c00 += a0 * b; c10 += a1 * b; c20 += a2 * b; c30 += a3 * b;
    b = Bp[bo + 1]!;
    c01 += a0 * b; c11 += a1 * b; c21 += a2 * b; c31 += a3 * b;
    b = Bp[bo + 2]!;
    c02 += a0 * b; c12 += a1 * b; c22 += a2 * b; c32 += a3 * b;
    b = Bp[bo + 3]!;
    c03 += a0 * b; c13 += a1 * b; c23 += a2 * b; c33 += a3 * b;
    ao += MR;
    bo += NR;
  }
  if (rows === MR && cols === NR) {
    const o1 = co + ldc, o2 = o1 + ldc, o3 = o2 + ldc;
    if (first) {
      C[co] = c00; C[co + 1] = c01; C[co + 2] = c02; C[co + 3] = c03;
      C[o1] = c10; C[o1 + 1] = c11; C[o1 + 2] = c12; C[o1 + 3] = c13;
      C[o2] = c20; C[o2 + 1] = c21; C[o2 + 2] = c22; C[o2 + 3] = c23;
      C[o3] = c30; C[o3 + 1] = c31; C[o3 + 2] = c32; C[o3 + 3] = c33;
    } else {
      C[co] += c00; C[co + 1] += c01; C[co + 2] += c02; C[co + 3] += c03;
      C[o1] += c10; C[o1 + 1] += c11; C[o1 + 2] += c12; C[o1 + 3] += c13;
      C[o2] += c20; C[o2 + 1] += c21; C[o2 + 2] += c22; C[o2 + 3] += c23;
      C[o3] += c30; C[o3 + 1] += c31; C[o3 + 2] += c32; C[o3 + 3] += c33;
    }
    return;
  }
  // an edge tile: store the rows x cols corner that exists
  edge[0] = c00; edge[1] = c01; edge[2] = c02; edge[3] = c03;
  edge[4] = c10; edge[5] = c11; edge[6] = c12; edge[7] = c13;
  edge[8] = c20; edge[9] = c21; edge[10] = c22; edge[11] = c23;
  edge[12] = c30; edge[13] = c31; edge[14] = c32; edge[15] = c33;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const o = co + r * ldc + c;
      C[o] = first ? edge[r * NR + c]! : C[o]! + edge[r * NR + c]!;
    }
  }
}
const edge = new Float64Array(MR * NR);

/**
 * C[cOff + i*N + j] = sum_k A[aOff + i*sAi + k*sAk] * B[bOff + k*sBk + j*sBj] for i < M, j < N.
 * A non-transposed row-major A has (sAi, sAk) = (K, 1); transposed, (1, M). Likewise B.
 */
export function matmul(
  A: Arr, aOff: number, sAi: number, sAk: number,
  B: Arr, bOff: number, sBk: number, sBj: number,
  C: Arr, cOff: number, M: number, K: number, N: number,
): void {
  gemm(A, aOff, sAi, sAk, B, bOff, sBk, sBj, C, cOff, N, M, K, N);
}

/**
 * `matmul` with C's row stride `ldc` given (C[cOff + i*ldc + j]): a block of rows or columns of a
 * larger product. Every C element's sum depends only on K (the depth blocks and the order within
 * them), never on M, N or where the block lies: any split of the output gives the same bits.
 */
export function gemm(
  A: Arr, aOff: number, sAi: number, sAk: number,
  B: Arr, bOff: number, sBk: number, sBj: number,
  C: Arr, cOff: number, ldc: number, M: number, K: number, N: number,
): void {
  if (K === 0) {
    for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
    return;
  }
  const kBlocks = Math.ceil(K / KC_MAX);
  const KC = Math.ceil(K / kBlocks);
  if (packA.length < MC * KC) packA = new Float64Array(MC * KC);
  if (packB.length < KC * NC) packB = new Float64Array(KC * NC);
  const Ap = packA;
  const Bp = packB;
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = Math.min(NC, N - j0);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = Math.min(KC, K - k0);
      const first = k0 === 0;
      packCols(B, bOff, sBk, sBj, k0, kc, j0, nc, Bp);
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = Math.min(MC, M - i0);
        packRows(A, aOff, sAi, sAk, i0, mc, k0, kc, Ap);
        for (let jp = 0; jp < nc; jp += NR) {
          const cols = Math.min(NR, nc - jp);
          const bo = jp * kc;
          for (let ip = 0; ip < mc; ip += MR) {
            tile(Ap, ip * kc, Bp, bo, kc, C, cOff + (i0 + ip) * ldc + j0 + jp, ldc, Math.min(MR, mc - ip), cols, first);
          }
        }
      }
    }
  }
}

/** This module's kernel as standalone script text (for a worker thread): the same functions and constants. */
export function gemmSource(): string {
  const decls = [
    `const MR = ${MR}, NR = ${NR}, MC = ${MC}, NC = ${NC}, KC_MAX = ${KC_MAX};`,
    "let packA = new Float64Array(MC * KC_MAX), packB = new Float64Array(KC_MAX * NC);",
    "const edge = new Float64Array(MR * NR);",
  ];
  return [...decls, ...[packRows, packCols, tile, gemm].map(String)].join("\n");
}
