/** @file Matmul as Wasm: register-blocked f32x4 / f64x2 microkernels, specialized to the shapes and strides of each call site.
 *
 * C[M,N] = A . B with A read through strides (sAi, sAk), so a transposed A needs no copy; B (either
 * layout) is packed into column panels of NR = 2 vectors ([N/NR][K][NR] in scratch memory), so each
 * k step reads 32 contiguous bytes (row strides of a power of two thrash L1's sets). The
 * microkernel keeps an MR x (NV vectors) block of C in registers (4 x 8 for f32: 8 accumulators,
 * 2 B vectors, 1 broadcast A element) and walks K: each step loads NV vectors of a B row,
 * broadcasts one A element per row (load32_splat), and multiplies and adds. 6 x 8 (15 live
 * vectors) measured 1.4-1.9x slower at 512^3 here: V8 keeps a scratch SIMD register, so it spills.
 * K is split into blocks of KC so the B panel in use stays in L1; C is reloaded between blocks.
 *
 * Summation order: every C[i,j] is ((a0 b0 + a1 b1) + a2 b2) + ... in k order, each product and
 * sum rounded to the dtype (no fused multiply-add), whatever the blocking, tiling or thread split.
 */
import type { DType } from "../../ir/index.js";
import { Func, Op, Simd, T } from "./encode.js";

export interface MatmulShape {
  readonly dtype: DType;
  readonly M: number;
  readonly K: number;
  readonly N: number;
  readonly sAi: number;
  readonly sAk: number;
  readonly sBk: number;
  readonly sBj: number;
}

const KC = 256;

/** Scratch bytes the kernel needs (a packed copy of a transposed B). */
export const matmulScratch = (s: MatmulShape): number => Math.ceil(s.N / 8) * 8 * s.K * (s.dtype === "f64" ? 8 : 4);

/** Whether a Wasm kernel exists for this dtype (i32 products run as the js kernel). */
export const matmulSupported = (d: DType): boolean => d === "f32" || d === "f64";

/** A function (a, b, c, scratch) computing rows [r0, r1) of C: the caller splits rows across threads. */
export function emitMatmul(s: MatmulShape): Func {
  const f32 = s.dtype === "f32";
  const E = f32 ? 4 : 8;
  const W = 16 / E;
  const L = f32 ? 2 : 3;
  const vmul = f32 ? Simd.f32x4_mul : Simd.f64x2_mul;
  const vadd = f32 ? Simd.f32x4_add : Simd.f64x2_add;
  const splat = f32 ? Simd.load32_splat : Simd.load64_splat;
  const sload = f32 ? Op.f32_load : Op.f64_load;
  const sstore = f32 ? Op.f32_store : Op.f64_store;
  const smul = f32 ? Op.f32_mul : Op.f64_mul;
  const sadd = f32 ? Op.f32_add : Op.f64_add;
  const st = f32 ? T.f32 : T.f64;
  const { M, K, N } = s;
  // params: a, b, c, scratch, r0, r1
  const f = new Func([T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], []);
  const [a, c, scratch, r0, r1] = [0, 2, 3, 4, 5];
  let b = 1;
  const i = f.local(T.i32), j = f.local(T.i32), kb = f.local(T.i32), k0 = f.local(T.i32), kn = f.local(T.i32), kk = f.local(T.i32);
  const pa = f.local(T.i32), pb = f.local(T.i32), pc = f.local(T.i32), rows = f.local(T.i32), q = f.local(T.i32);
  const bv = [f.local(T.v128), f.local(T.v128)];
  const av = f.local(T.v128);
  const MR = 4;
  const acc = Array.from({ length: MR * 2 }, () => f.local(T.v128));
  const sacc = f.local(st);

  // pack B into column panels of NR: Bp[p][k][c] = B[k, p NR + c] (0 past N), so that every k step of
  // the microkernel reads one contiguous 32-byte row (a row stride of a power of two thrashes L1 sets)
  const NR = 2 * W;
  const panels = Math.ceil(N / NR);
  f.forLoop(j, panels * NR, 1, () => {
    f.forLoop(kk, K, 1, () => {
      // dst = scratch + ((j / NR) K + kk) NR + j % NR
      f.get(scratch).get(j).i32(NR).op(Op.i32_div_s).i32(K).op(Op.i32_mul).get(kk).op(Op.i32_add).i32(NR).op(Op.i32_mul);
      f.get(j).i32(NR - 1).op(Op.i32_and).op(Op.i32_add).i32(E).op(Op.i32_mul).op(Op.i32_add);
      // j < N ? B[kk sBk + j sBj] : 0 (a load only where it exists)
      f.get(j).i32(N).op(Op.i32_lt_s, Op.if, st);
      f.get(b).get(kk).i32(s.sBk * E).op(Op.i32_mul).get(j).i32(s.sBj * E).op(Op.i32_mul).op(Op.i32_add).op(Op.i32_add).mem(sload, L);
      f.op(Op.else);
      if (f32) f.f32(0);
      else f.f64(0);
      f.op(Op.end).mem(sstore, L);
    });
  });
  b = scratch;
  const kstep = NR * E;
  // pa = a + (i sAi + k0 sAk) E; pb = b + (k0 sBk + j) E; pc = c + (i N + j) E
  const setPointers = (): void => {
    f.get(a).get(i).i32(s.sAi * E).op(Op.i32_mul).op(Op.i32_add).get(k0).i32(s.sAk * E).op(Op.i32_mul).op(Op.i32_add).set(pa);
    f.get(b).get(j).i32(NR).op(Op.i32_div_s).i32(K).op(Op.i32_mul).get(k0).op(Op.i32_add).i32(kstep).op(Op.i32_mul).op(Op.i32_add);
    f.get(j).i32(NR - 1).op(Op.i32_and).i32(E).op(Op.i32_mul).op(Op.i32_add).set(pb);
    f.get(c).get(i).i32(N * E).op(Op.i32_mul).op(Op.i32_add).get(j).i32(E).op(Op.i32_mul).op(Op.i32_add).set(pc);
  };
  /** mr rows x nv vectors of C at (i, j), over k in [k0, k0 + kn). */
  const micro = (mr: number, nv: number): void => {
    setPointers();
    // accumulators: zero in the first K block, else what the previous blocks left in C
    f.get(kb).op(Op.i32_eqz, Op.if, 0x40);
    for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) f.simd(Simd.const).op(...new Array(16).fill(0)).set(acc[r * 2 + v]!);
    f.op(Op.else);
    for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) f.get(pc).simdMem(Simd.load, 0, r * N * E + v * 16).set(acc[r * 2 + v]!);
    f.op(Op.end);
    f.forLoop(kk, { local: kn }, 1, () => {
      for (let v = 0; v < nv; v++) f.get(pb).simdMem(Simd.load, 0, v * 16).set(bv[v]!);
      for (let r = 0; r < mr; r++) {
        f.get(pa).simdMem(splat, L, r * s.sAi * E).set(av);
        for (let v = 0; v < nv; v++) f.get(acc[r * 2 + v]!).get(av).get(bv[v]!).simd(vmul).simd(vadd).set(acc[r * 2 + v]!);
      }
      f.get(pa).i32(s.sAk * E).op(Op.i32_add).set(pa);
      f.get(pb).i32(kstep).op(Op.i32_add).set(pb);
    });
    for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) f.get(pc).get(acc[r * 2 + v]!).simdMem(Simd.store, 0, r * N * E + v * 16);
  };
  /** Every row of [r0, r1) for vector columns at j: MR rows at a time, then the rest one by one. */
  const columnBlock = (nv: number): void => {
    f.get(r0).set(i);
    f.get(r1).get(r0).op(Op.i32_sub).i32(MR).op(Op.i32_div_s).set(rows);
    f.forLoop(q, { local: rows }, 1, () => {
      micro(MR, nv);
      f.get(i).i32(MR).op(Op.i32_add).set(i);
    });
    f.get(r1).get(i).op(Op.i32_sub).set(rows);
    f.forLoop(q, { local: rows }, 1, () => {
      micro(1, nv);
      f.get(i).i32(1).op(Op.i32_add).set(i);
    });
  };
  const blocks = Math.ceil(K / KC);
  f.forLoop(kb, blocks, 1, () => {
    f.get(kb).i32(KC).op(Op.i32_mul).set(k0);
    f.i32(K).get(k0).op(Op.i32_sub).set(kn);
    f.i32(KC).get(kn).get(kn).i32(KC).op(Op.i32_gt_s, Op.select).set(kn);
    f.forLoop(j, Math.floor(N / NR), 1, () => {
      f.get(j).i32(NR).op(Op.i32_mul).set(j);
      columnBlock(2);
      f.get(j).i32(NR).op(Op.i32_div_s).set(j);
    });
    let j0 = Math.floor(N / NR) * NR;
    if (N - j0 >= W) {
      f.i32(j0).set(j);
      columnBlock(1);
      j0 += W;
    }
    // the last N mod W columns, scalar, in the same k order
    for (let jj = j0; jj < N; jj++) {
      f.i32(jj).set(j);
      f.get(r0).set(i);
      f.get(r1).get(r0).op(Op.i32_sub).set(rows);
      f.forLoop(q, { local: rows }, 1, () => {
        setPointers();
        f.get(kb).op(Op.i32_eqz, Op.if, st);
        if (f32) f.f32(0);
        else f.f64(0);
        f.op(Op.else).get(pc).mem(sload, L).op(Op.end).set(sacc);
        f.forLoop(kk, { local: kn }, 1, () => {
          f.get(sacc).get(pa).mem(sload, L).get(pb).mem(sload, L).op(smul, sadd).set(sacc);
          f.get(pa).i32(s.sAk * E).op(Op.i32_add).set(pa);
          f.get(pb).i32(kstep).op(Op.i32_add).set(pb);
        });
        f.get(pc).get(sacc).mem(sstore, L);
        f.get(i).i32(1).op(Op.i32_add).set(i);
      });
    }
  });
  return f;
}
