/** @file Matmuls on several threads: the single-threaded bits (kernel, batched fn, the MLP step), the threads option, and a process that used threads exits by itself. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as G from "../../src/index.js";
import { matmul } from "../../src/runtime/kernels/matmul.js";
import { startThreads, threadedMatmul, threadStats } from "../../src/runtime/kernels/threads.js";
import { resolveThreads } from "../../src/runtime/js.js";
import { rng } from "./harness.js";
import { makeMlp, mlpBatch } from "./mlp-model.js";

const ROOT = join(__dirname, "..", "..");

/** Index of the first element whose bits differ, or -1. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

// two helpers (three threads), so splits into two and into three blocks are both exercised
beforeAll(async () => {
  expect(startThreads(3), "SharedArrayBuffer and worker_threads are available").toBe(true);
  for (let i = 0; i < 2000 && threadStats().ready < 2; i++) await new Promise((r) => setTimeout(r, 5));
  expect(threadStats().ready).toBe(2);
});

describe("threaded matmul kernel", () => {
  const r = rng(11);
  // [M, K, N]: split by columns (N > M), by rows, and K over the depth block (384): C is
  // rounded to f32 between depth blocks, so the helpers' scratch C must have C's dtype
  const shapes: [number, number, number][] = [[67, 45, 130], [129, 41, 40], [50, 400, 61]];
  for (const [M, K, N] of shapes) {
    for (const Ctor of [Float32Array, Float64Array]) {
      it(`${M}x${K}x${N} ${Ctor.name}: every transpose, at offsets, on 2 and 3 threads, same bits`, () => {
        // operands as the second entry of a batch (offsets), transposed by their strides
        const rand = (n: number): Float32Array | Float64Array => new Ctor(n).map(() => r() * 4 - 2);
        const A = rand(2 * M * K);
        const B = rand(2 * K * N);
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            const [sAi, sAk] = tA ? [1, M] : [K, 1];
            const [sBk, sBj] = tB ? [1, K] : [N, 1];
            const one = new Ctor(2 * M * N);
            matmul(A, M * K, sAi, sAk, B, K * N, sBk, sBj, one, M * N, M, K, N);
            for (const threads of [2, 3]) {
              const many = new Ctor(2 * M * N).fill(7);
              const jobs = threadStats().jobs;
              threadedMatmul(threads)(A, M * K, sAi, sAk, B, K * N, sBk, sBj, many, M * N, M, K, N);
              expect(threadStats().jobs - jobs, `helpers used (${threads} threads)`).toBe(threads - 1);
              expect(firstDiff(one.subarray(M * N), many.subarray(M * N)), `tA=${tA} tB=${tB} threads=${threads}`).toBe(-1);
              // nothing outside C's block is written
              expect(many.subarray(0, M * N).every((v) => v === 7)).toBe(true);
            }
          }
        }
      });
    }
  }

  it("small products stay on the main thread", () => {
    const A = new Float32Array(32 * 32).fill(1);
    const C = new Float32Array(32 * 32);
    const jobs = threadStats().jobs;
    threadedMatmul(2)(A, 0, 32, 1, A, 0, 32, 1, C, 0, 32, 32, 32);
    expect(threadStats().jobs).toBe(jobs);
    expect(C.every((v) => v === 32)).toBe(true);
  });
});

describe("threads on the js backend", () => {
  it("batched matmuls of every transpose through fn: threads 2 = threads 1, bit for bit", () => {
    const r = rng(5);
    const [M, K, N] = [40, 70, 60];
    const rand = (shape: number[]): G.Tensor => G.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() - 0.5), shape);
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      // a batch of 3 left operands against one broadcast right operand
      const a = rand(tA ? [3, K, M] : [3, M, K]);
      const b = rand(tB ? [N, K] : [K, N]);
      const step = (x: G.Tensor, y: G.Tensor): G.Tensor => G.matmul(x, y, tA, tB);
      const jobs = threadStats().jobs;
      const two = G.fn(step, { backend: "js", threads: 2 })(a, b).dataSync();
      expect(threadStats().jobs - jobs, "one split per batch entry").toBe(3);
      const one = G.fn(step, { backend: "js", threads: 1 })(a, b).dataSync();
      expect(firstDiff(one, two), `tA=${tA} tB=${tB}`).toBe(-1);
    }
  });

  it("the reference MLP step (batch 128, Adam): threads 2 trains exactly like threads 1", () => {
    const { x, y } = mlpBatch(128);
    const m1 = makeMlp();
    const m2 = makeMlp();
    const f1 = G.fn(m1.step, { backend: "js", threads: 1 });
    const f2 = G.fn(m2.step, { backend: "js", threads: 2 });
    const jobs = threadStats().jobs;
    for (let s = 0; s < 3; s++) expect(f2(x, y).item(), `loss at step ${s}`).toBe(f1(x, y).item());
    // the forward, backward and row-blocked update matmuls were split
    expect((threadStats().jobs - jobs) / 3).toBeGreaterThanOrEqual(8);
    const v1 = [...m1.params, ...m1.slots, m1.t];
    const v2 = [...m2.params, ...m2.slots, m2.t];
    v1.forEach((v, i) => expect(firstDiff(v.read().data, v2[i]!.read().data), v.name).toBe(-1));
  });

  it("threads: an integer, 'auto' (at most 2), or GRAFT_THREADS; anything else is a usage error", () => {
    expect(resolveThreads(3)).toBe(3);
    expect([1, 2]).toContain(resolveThreads("auto"));
    const saved = process.env["GRAFT_THREADS"];
    try {
      process.env["GRAFT_THREADS"] = "1";
      expect(resolveThreads(undefined)).toBe(1);
      expect(resolveThreads(2), "the option wins over the environment").toBe(2);
      process.env["GRAFT_THREADS"] = "many";
      expect(() => resolveThreads(undefined)).toThrow(/GRAFT_THREADS.*"many"/);
    } finally {
      if (saved === undefined) delete process.env["GRAFT_THREADS"];
      else process.env["GRAFT_THREADS"] = saved;
    }
    for (const bad of [0, 1.5, "2", -1]) expect(() => resolveThreads(bad)).toThrow(G.GraftError);
    expect(() => G.fn((x: G.Tensor) => x.add(1), { backend: "js", threads: 0 })(G.tensor([1]))).toThrow(/threads must be/);
  });

  it("a process that trained on two threads exits by itself", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", join(__dirname, "fixtures", "threads-child.ts")], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    const exitedAt = Date.now();
    const r = JSON.parse(out) as { loss: number; jobs: number; doneAt: number };
    expect(r.jobs, "the child's steps used the helper").toBeGreaterThan(0);
    expect(Number.isFinite(r.loss)).toBe(true);
    // an idle helper that kept the process alive would hang until the 30 s timeout
    expect(exitedAt - r.doneAt).toBeLessThan(3000);
  });
});
