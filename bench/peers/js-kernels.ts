/** @file Hand-written plain-JS kernels for the peers: matmuls, transpose. Float32Array storage, f64 math. */

/**
 * C[M,N] = A[M,K] @ B[K,N], i-k-j order: the inner loop streams a row of B into a row of C, and
 * two rows of A share each load of B. Cache-friendly and simple; what a careful hand-writer does.
 */
export function matmulIkj(M: number, K: number, N: number, A: Float32Array, B: Float32Array, C: Float32Array): void {
  C.fill(0, 0, M * N);
  let i = 0;
  for (; i + 1 < M; i += 2) {
    const c0 = i * N;
    const c1 = c0 + N;
    const a0o = i * K;
    const a1o = a0o + K;
    for (let k = 0; k < K; k++) {
      const a0 = A[a0o + k];
      const a1 = A[a1o + k];
      const bo = k * N;
      for (let j = 0; j < N; j++) {
        const b = B[bo + j];
        C[c0 + j] += a0 * b;
        C[c1 + j] += a1 * b;
      }
    }
  }
  for (; i < M; i++) {
    const c0 = i * N;
    for (let k = 0; k < K; k++) {
      const a0 = A[i * K + k];
      const bo = k * N;
      for (let j = 0; j < N; j++) C[c0 + j] += a0 * B[bo + j];
    }
  }
}

/** Depth of a packed B panel: 256 x 4 f32 = 4 KiB stays in L1 alongside two rows of A. */
const KB = 256;

/**
 * C[M,N] = A[M,K] @ B[K,N], register-blocked: a 2x4 tile of C lives in 8 locals across a K block;
 * the 4-column B panel is packed k-major so every inner-loop load is sequential.
 * 16 FLOPs per 6 loads, versus 2 per 3 memory ops for the i-k-j loop.
 */
export function matmulBlocked(
  M: number,
  K: number,
  N: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  scratch: Float32Array = new Float32Array(KB * 4),
): void {
  C.fill(0, 0, M * N);
  const Bp = scratch;
  for (let kk = 0; kk < K; kk += KB) {
    const kn = Math.min(KB, K - kk);
    for (let j = 0; j < N; j += 4) {
      const nc = Math.min(4, N - j);
      if (nc === 4) {
        for (let k = 0; k < kn; k++) {
          const s = (kk + k) * N + j;
          const d = k * 4;
          Bp[d] = B[s];
          Bp[d + 1] = B[s + 1];
          Bp[d + 2] = B[s + 2];
          Bp[d + 3] = B[s + 3];
        }
      } else {
        for (let k = 0; k < kn; k++) {
          const s = (kk + k) * N + j;
          for (let c = 0; c < 4; c++) Bp[k * 4 + c] = c < nc ? B[s + c] : 0;
        }
      }
      let i = 0;
      for (; i + 1 < M; i += 2) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        const r0 = i * K + kk;
        const r1 = r0 + K;
        for (let k = 0; k < kn; k++) {
          const a0 = A[r0 + k];
          const a1 = A[r1 + k];
          const bo = k * 4;
          const b0 = Bp[bo], b1 = Bp[bo + 1], b2 = Bp[bo + 2], b3 = Bp[bo + 3];
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        }
        const o0 = i * N + j;
        const o1 = o0 + N;
        if (nc === 4) {
          C[o0] += c00; C[o0 + 1] += c01; C[o0 + 2] += c02; C[o0 + 3] += c03;
          C[o1] += c10; C[o1 + 1] += c11; C[o1 + 2] += c12; C[o1 + 3] += c13;
        } else {
          const t0 = [c00, c01, c02, c03];
          const t1 = [c10, c11, c12, c13];
          for (let c = 0; c < nc; c++) {
            C[o0 + c] += t0[c];
            C[o1 + c] += t1[c];
          }
        }
      }
      if (i < M) {
        const r0 = i * K + kk;
        for (let c = 0; c < nc; c++) {
          let s = 0;
          for (let k = 0; k < kn; k++) s += A[r0 + k] * Bp[k * 4 + c];
          C[i * N + j + c] += s;
        }
      }
    }
  }
}

export type MatmulKernel = typeof matmulIkj;

/** dst[C,R] = src[R,C]^T, in 32x32 tiles so both sides stay in cache. */
export function transpose(R: number, C: number, src: Float32Array, dst: Float32Array): void {
  const T = 32;
  for (let ii = 0; ii < R; ii += T) {
    const ie = Math.min(R, ii + T);
    for (let jj = 0; jj < C; jj += T) {
      const je = Math.min(C, jj + T);
      for (let i = ii; i < ie; i++) {
        for (let j = jj; j < je; j++) dst[j * R + i] = src[i * C + j];
      }
    }
  }
}
