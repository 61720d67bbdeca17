/** @file Matmul on several threads for the js backend: helper workers woken through shared memory, the step stays synchronous.
 *
 * Design (the simplest that keeps steps synchronous and results bit-identical):
 * - A compiled step is one synchronous call on the main thread, so helpers cannot be reached by
 *   postMessage (its delivery needs the event loop). Each helper is a worker_threads Worker that
 *   sleeps in `Atomics.wait` on a word of its own shared control block. The main thread writes a
 *   job (operand types, offsets, strides, sizes) into the block, bumps the job number and
 *   `Atomics.notify`s, computes its own share, then waits (spins up to SPIN_MS, then
 *   `Atomics.wait`) for the helper's done word. The Atomics are sequentially consistent, so
 *   everything written before the bump is visible to the helper, and its results before its
 *   done store to us.
 * - Operands live in ordinary ArrayBuffers (user variables, inputs, the step's pool), which a
 *   worker cannot see: the parts a helper reads are copied into one shared scratch buffer, in the
 *   operand's own dtype, and its block of C is copied back. That is O(MK + KN + MN) against
 *   O(MKN) flops; measured on the reference MLP step (batch 128): ~1.5 ms of copies in a ~32 ms
 *   two-thread step (mostly memcpy-speed `set`s; see copyIn).
 * - The output is split into row blocks (or column blocks when N > M), never along K: every C
 *   element's sum depends only on K (see `gemm`), so any split gives the single-threaded bits.
 *   The main thread takes the first block, helper h the (h+1)-th. Scratch copies of C have the
 *   C's dtype, so the rounding between depth blocks is the same.
 * - Small products stay on the main thread: below MIN_WORK multiply-adds per thread the wake-up
 *   and copies cost more than the split saves.
 * - Helpers start lazily on the first product big enough (a thread start takes tens of ms; until
 *   a helper reports ready the main thread computes alone), are `unref()`ed so they never keep
 *   the process alive, and run a self-contained script: the kernel functions' own source text
 *   (`gemmSource`), so no file has to be found at run time (tsx, vitest, plain node, CJS, ESM,
 *   bundles). The helper checks that text on a small product first: where a minifier renamed
 *   what it refers to, the helper never reports ready and the main thread computes alone.
 * - Anything missing (no SharedArrayBuffer, no worker_threads, a worker that fails to start or
 *   throws) degrades to one thread: a helper that reports an error or does not answer for a long
 *   time is dropped and its block computed on the main thread (same bits).
 * - The scratch buffer grows to the largest job and is then reused: steady-state steps allocate
 *   nothing. It grows before a helper is ready too, so the growth happens in the first steps.
 * AOT modules import matmul.ts only: they stay single-threaded.
 */
import type { MessagePort } from "node:worker_threads";
import { nodeBuiltin } from "../../ir/platform.js";
import { gemm, gemmSource, type Arr } from "./matmul.js";

/** Multiply-adds per thread below which a split is not worth it (measured here: a split costs ~20 us; from 2 x 64K on it gains 1.5x). */
export const MIN_WORK = 1 << 16;
/** Smallest block of rows (or columns) a thread gets. */
const MIN_SPLIT = 16;
/** Milliseconds the main thread spins on a helper's done word before it sleeps (a helper spinning between jobs gained nothing measurable here). */
const SPIN_MS = 1;
/** A helper silent this long (and 50x the main thread's share) is given up on. */
const GIVE_UP_MS = 5000;

// control block words
const SEQ = 0; // job number (main -> helper)
const DONE = 1; // last job finished (helper -> main)
const READY = 2; // 1 once the helper's script runs (and its kernel passed a check), -1 if it failed
const STATUS = 3; // 0 ok, 1 the last job threw
const GEN = 4; // scratch generation the job uses
const P = 5; // job parameters: aT, aOff, sAi, sAk, bT, bOff, sBk, sBj, cT, cOff, ldc, M, K, N
const CTL_WORDS = P + 14;

/** The helper's script: the kernel, then a loop that sleeps until the job number changes. */
function helperScript(): string {
  return `"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { ctl, port } = workerData;
const viewsOf = (b) => [new Float32Array(b), new Float64Array(b), new Int32Array(b), new Uint8Array(b)];
let gen = workerData.gen, views = viewsOf(workerData.scratch);
${gemmSource()}
// a 5x3x6 product with a known answer first: kernel text that does not run here (a minifier renamed
// what it refers to) leaves the helper unready, and the main thread computes alone
{
  const a = Float64Array.from({ length: 15 }, (_, i) => i - 7), b = Float64Array.from({ length: 18 }, (_, i) => 2 * i - 9), c = new Float64Array(30);
  let ok = false;
  try {
    gemm(a, 0, 3, 1, b, 0, 6, 1, c, 0, 6, 5, 3, 6);
    ok = c.every((v, x) => { let s = 0; for (let k = 0; k < 3; k++) s += a[Math.floor(x / 6) * 3 + k] * b[k * 6 + (x % 6)]; return v === s; });
  } catch (e) {}
  Atomics.store(ctl, ${READY}, ok ? 1 : -1);
  if (!ok) process.exit(0);
}
let seen = Atomics.load(ctl, ${SEQ});
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  const seq = Atomics.load(ctl, ${SEQ});
  if (seq === seen) continue;
  seen = seq;
  let status = 0;
  try {
    while (gen !== ctl[${GEN}]) {
      const m = receiveMessageOnPort(port);
      if (!m) throw new Error("scratch buffer missing");
      gen = m.message.gen;
      views = viewsOf(m.message.scratch);
    }
    const p = ctl;
    gemm(views[p[${P}]], p[${P + 1}], p[${P + 2}], p[${P + 3}], views[p[${P + 4}]], p[${P + 5}], p[${P + 6}], p[${P + 7}],
      views[p[${P + 8}]], p[${P + 9}], p[${P + 10}], p[${P + 11}], p[${P + 12}], p[${P + 13}]);
  } catch (e) {
    status = 1;
  }
  ctl[${STATUS}] = status;
  Atomics.store(ctl, ${DONE}, seq);
  Atomics.notify(ctl, ${DONE});
}
`;
}

interface Helper {
  readonly ctl: Int32Array;
  readonly port: MessagePort;
  seq: number;
  dead: boolean;
}

interface Pool {
  readonly helpers: Helper[];
  scratch: SharedArrayBuffer;
  gen: number;
  /** f32, f64, i32, u8 views of the whole scratch (indexed by type code). */
  views: Arr[];
}

/** undefined: not tried yet; null: threads unavailable here. */
let pool: Pool | null | undefined;
/** Blocks handed to helpers so far (tests use it to see the split happened). */
let helperJobs = 0;

/** Helpers started and answering in this thread, and the blocks they have been given. */
export function threadStats(): { helpers: number; ready: number; jobs: number } {
  const hs = pool ? pool.helpers : [];
  return { helpers: hs.length, ready: hs.filter((h) => !h.dead && Atomics.load(h.ctl, READY) === 1).length, jobs: helperJobs };
}

/** Starts the helpers for `threads` threads now, rather than at the first big product; false if threads are unavailable. */
export function startThreads(threads: number): boolean {
  const p = getPool();
  if (p) startHelpers(p, threads - 1);
  return !!p;
}

const viewsOf = (b: SharedArrayBuffer): Arr[] => [new Float32Array(b), new Float64Array(b), new Int32Array(b), new Uint8Array(b)];

function getPool(): Pool | null {
  if (pool !== undefined) return pool;
  pool = null;
  // worker_threads comes lazily: in a browser there is none and matmuls stay on one thread
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object" || !nodeBuiltin("node:worker_threads")) return null;
  const scratch = new SharedArrayBuffer(1 << 16);
  pool = { helpers: [], scratch, gen: 0, views: viewsOf(scratch) };
  return pool;
}

/** Starts helpers until there are `n` (those that fail to start are simply not there). */
function startHelpers(p: Pool, n: number): void {
  const wt = nodeBuiltin("node:worker_threads");
  if (!wt) return;
  while (p.helpers.length < n) {
    try {
      const ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
      const { port1, port2 } = new wt.MessageChannel();
      const w = new wt.Worker(helperScript(), {
        eval: true,
        // no loaders or flags of the parent (tsx, vitest): the script is plain JS
        execArgv: [],
        workerData: { ctl, port: port2, scratch: p.scratch, gen: p.gen },
        transferList: [port2],
      });
      const h: Helper = { ctl, port: port1, seq: 0, dead: false };
      w.on("error", () => {
        h.dead = true;
      });
      w.on("exit", () => {
        h.dead = true;
      });
      w.unref();
      port1.unref();
      p.helpers.push(h);
    } catch {
      return;
    }
  }
}

/** Makes the scratch at least `bytes` long; helpers receive the new buffer with their next job. */
function reserve(p: Pool, bytes: number): void {
  if (p.scratch.byteLength >= bytes) return;
  p.scratch = new SharedArrayBuffer(Math.max(bytes, 2 * p.scratch.byteLength));
  p.views = viewsOf(p.scratch);
  p.gen++;
  for (const h of p.helpers) h.port.postMessage({ gen: p.gen, scratch: p.scratch });
}

const typeCode = (a: Arr): number => (a instanceof Float32Array ? 0 : a instanceof Float64Array ? 1 : a instanceof Int32Array ? 2 : 3);
/** Blocks in multiples of the 4-wide register tile. */
const blockOf = (len: number, parts: number): number => (Math.ceil(len / parts) + 3) & ~3;
const align8 = (bytes: number): number => (bytes + 7) & ~7;

/**
 * Copies the n0 x n1 matrix src[off + i*s0 + j*s1] into dst at dOff. Where its span (first to
 * last element) is at most SPAN_RATIO times its size, the whole span goes over in one `set`
 * (a memcpy, ~7x faster per element than a loop; no allocation when the span is all of src) and
 * the strides stay; else a loop packs it densely, keeping its orientation (reading along the
 * smaller stride). The strides in dst are left in `copied0`, `copied1`.
 */
function copyIn(src: Arr, off: number, s0: number, s1: number, n0: number, n1: number, dst: Arr, dOff: number): void {
  const span = (n0 - 1) * s0 + (n1 - 1) * s1 + 1;
  if (n0 === 0 || n1 === 0) {
    copied0 = 0, copied1 = 0;
  } else if (span <= SPAN_RATIO * n0 * n1) {
    if (off === 0 && span === src.length) dst.set(src, dOff);
    else dst.set(src.subarray(off, off + span), dOff);
    copied0 = s0, copied1 = s1;
  } else if (s1 <= s0) {
    for (let i = 0; i < n0; i++) {
      let o = off + i * s0;
      const d = dOff + i * n1;
      for (let j = 0; j < n1; j++, o += s1) dst[d + j] = src[o]!;
    }
    copied0 = n1, copied1 = 1;
  } else {
    for (let j = 0; j < n1; j++) {
      let o = off + j * s1;
      const d = dOff + j * n0;
      for (let i = 0; i < n0; i++, o += s0) dst[d + i] = src[o]!;
    }
    copied0 = 1, copied1 = n0;
  }
}
/** Strides of what `copyIn` wrote (it starts at dOff). */
let copied0 = 0, copied1 = 0;
/** Copying a span this many times the elements needed is still cheaper than a loop over them. */
const SPAN_RATIO = 6;

/** Elements of the span copyIn needs room for (the larger of span and dense size). */
const room = (s0: number, s1: number, n0: number, n1: number): number => (n0 === 0 || n1 === 0 ? 0 : Math.max(n0 * n1, Math.min((n0 - 1) * s0 + (n1 - 1) * s1 + 1, SPAN_RATIO * n0 * n1)));

// one job's split, kept between calls (no per-call arrays)
const starts = new Int32Array(65);
const jobs: Helper[] = [];

/** How many threads a product of this size gets (1: stay on the main thread). */
export function threadsFor(threads: number, M: number, K: number, N: number): number {
  const along = Math.max(M, N);
  return Math.max(1, Math.min(threads, Math.floor((M * K * N) / MIN_WORK), Math.floor(along / MIN_SPLIT), starts.length - 1));
}

/**
 * A `matmul` (same arguments, same bits) that splits products big enough across up to `threads`
 * threads: the main one plus `threads - 1` helpers shared by every executable in this thread.
 */
export function threadedMatmul(threads: number): (A: Arr, aOff: number, sAi: number, sAk: number, B: Arr, bOff: number, sBk: number, sBj: number, C: Arr, cOff: number, M: number, K: number, N: number) => void {
  return (A, aOff, sAi, sAk, B, bOff, sBk, sBj, C, cOff, M, K, N) => {
    const want = threadsFor(threads, M, K, N);
    const p = want > 1 ? getPool() : null;
    if (!p) return gemm(A, aOff, sAi, sAk, B, bOff, sBk, sBj, C, cOff, N, M, K, N);
    startHelpers(p, threads - 1);
    runSplit(p, want, A, aOff, sAi, sAk, B, bOff, sBk, sBj, C, cOff, M, K, N);
  };
}

// the scratch layout of the current split (module state, so a call allocates nothing): the operand
// every helper reads whole (B for rows, A for columns) at 0, then per helper `part` bytes: its
// block of the other operand, and at +`cAt` its block of C
let shared = 0, part = 0, cAt = 0;
function layout(byRows: boolean, size: number, sAi: number, sAk: number, sBk: number, sBj: number, M: number, K: number, N: number, aB: number, bB: number, cB: number): void {
  shared = align8((byRows ? room(sBk, sBj, K, N) : room(sAi, sAk, M, K)) * (byRows ? bB : aB));
  cAt = align8(byRows ? room(sAi, sAk, size, K) * aB : room(sBk, sBj, K, size) * bB);
  part = cAt + align8((byRows ? size * N : M * size) * cB);
}

function runSplit(p: Pool, want: number, A: Arr, aOff: number, sAi: number, sAk: number, B: Arr, bOff: number, sBk: number, sBj: number, C: Arr, cOff: number, M: number, K: number, N: number): void {
  const byRows = M >= N;
  const len = byRows ? M : N;
  const aB = A.BYTES_PER_ELEMENT, bB = B.BYTES_PER_ELEMENT, cB = C.BYTES_PER_ELEMENT;
  // grow first, even before a helper is ready: the growth then happens in the first steps
  layout(byRows, blockOf(len, want), sAi, sAk, sBk, sBj, M, K, N, aB, bB, cB);
  reserve(p, shared + (want - 1) * part);
  let n = 0;
  for (const h of p.helpers) if (n < want - 1 && !h.dead && Atomics.load(h.ctl, READY) === 1) jobs[n++] = h;
  if (n === 0) return gemm(A, aOff, sAi, sAk, B, bOff, sBk, sBj, C, cOff, N, M, K, N);
  // n helpers answer: n + 1 blocks, the main thread's first
  const size = blockOf(len, n + 1);
  layout(byRows, size, sAi, sAk, sBk, sBj, M, K, N, aB, bB, cB);
  reserve(p, shared + n * part);
  for (let q = 0; q <= n + 1; q++) starts[q] = Math.min(len, q * size);
  const aT = typeCode(A), bT = typeCode(B), cT = typeCode(C);
  const views = p.views;
  if (byRows) copyIn(B, bOff, sBk, sBj, K, N, views[bT]!, 0);
  else copyIn(A, aOff, sAi, sAk, M, K, views[aT]!, 0);
  const sh0 = copied0, sh1 = copied1;
  for (let q = 0; q < n; q++) {
    const h = jobs[q]!;
    const lo = starts[q + 1]!, w = starts[q + 2]! - lo;
    const at = shared + q * part;
    const c = h.ctl;
    if (byRows) {
      copyIn(A, aOff + lo * sAi, sAi, sAk, w, K, views[aT]!, at / aB);
      setJob(c, aT, at / aB, copied0, copied1, bT, 0, sh0, sh1, cT, (at + cAt) / cB, N, w, K, N);
    } else {
      copyIn(B, bOff + lo * sBj, sBk, sBj, K, w, views[bT]!, at / bB);
      setJob(c, aT, 0, sh0, sh1, bT, at / bB, copied0, copied1, cT, (at + cAt) / cB, w, M, K, w);
    }
    c[GEN] = p.gen;
    helperJobs++;
    Atomics.store(c, SEQ, ++h.seq);
    Atomics.notify(c, SEQ);
  }
  // the main thread's block, straight from the operands into C
  const t0 = performance.now();
  if (byRows) gemm(A, aOff, sAi, sAk, B, bOff, sBk, sBj, C, cOff, N, starts[1]!, K, N);
  else gemm(A, aOff, sAi, sAk, B, bOff, sBk, sBj, C, cOff, N, M, K, starts[1]!);
  const patience = Math.max(GIVE_UP_MS, 50 * (performance.now() - t0));
  for (let q = 0; q < n; q++) {
    const lo = starts[q + 1]!, w = starts[q + 2]! - lo;
    const s = (shared + q * part + cAt) / cB;
    if (!waitFor(jobs[q]!, patience)) {
      // failed or silent: its block on this thread (the same bits)
      if (byRows) gemm(A, aOff + lo * sAi, sAi, sAk, B, bOff, sBk, sBj, C, cOff + lo * N, N, w, K, N);
      else gemm(A, aOff, sAi, sAk, B, bOff + lo * sBj, sBk, sBj, C, cOff + lo, N, M, K, w);
    } else if (byRows) {
      // whole rows: one contiguous block
      if (w > 0) C.set(views[cT]!.subarray(s, s + w * N), cOff + lo * N);
    } else {
      const src = views[cT]!;
      for (let i = 0, d = cOff + lo, r = s; i < M; i++, d += N, r += w) for (let j = 0; j < w; j++) C[d + j] = src[r + j]!;
    }
  }
}

/** The job's parameters into the helper's control block (P..P+13). */
function setJob(c: Int32Array, aT: number, aOff: number, sAi: number, sAk: number, bT: number, bOff: number, sBk: number, sBj: number, cT: number, cOff: number, ldc: number, M: number, K: number, N: number): void {
  c[P] = aT; c[P + 1] = aOff; c[P + 2] = sAi; c[P + 3] = sAk;
  c[P + 4] = bT; c[P + 5] = bOff; c[P + 6] = sBk; c[P + 7] = sBj;
  c[P + 8] = cT; c[P + 9] = cOff; c[P + 10] = ldc; c[P + 11] = M; c[P + 12] = K; c[P + 13] = N;
}

/**
 * Waits for the helper's current job; false (and the helper dropped) if it failed or never
 * answered. Spins first: the helper is expected about now, and waking a sleeping thread can take
 * a millisecond on a virtual machine.
 */
function waitFor(h: Helper, patience: number): boolean {
  const c = h.ctl;
  const t0 = performance.now();
  for (let i = 1; Atomics.load(c, DONE) !== h.seq; i++) {
    if ((i & 1023) !== 0) continue;
    const dt = performance.now() - t0;
    if (dt > patience) {
      h.dead = true;
      return false;
    }
    if (dt > SPIN_MS) Atomics.wait(c, DONE, h.seq - 1, 20);
  }
  return ok(h);
}

function ok(h: Helper): boolean {
  if (h.ctl[STATUS] === 0) return true;
  h.dead = true;
  return false;
}
