/** @file The wasm backend's thread pool: helper workers that run product rows of a step's module on its shared linear memory.
 *
 * Each helper is a worker_threads Worker (loaded lazily with process.getBuiltinModule, so the
 * core stays browser-safe; where it is missing the pool is empty and steps run on one thread).
 * A helper instantiates every threaded executable's module over that executable's shared
 * WebAssembly.Memory (sent once through its port; read with receiveMessageOnPort when the first
 * job for it arrives, because the step is synchronous and the event loop never runs during it).
 * Dispatch: the caller writes the job (executable, export, pointer arguments, its rows) into the
 * helper's control block, bumps the job number and notifies; the helper spins briefly, then
 * sleeps in Atomics.wait. The caller computes the first block of rows itself and then waits for
 * each helper (spin, then Atomics.wait), computing any block whose helper failed.
 *
 * Results do not depend on the split: every C element's sum runs over k in order whatever rows a
 * thread gets (see codegen/wasm/matmul.ts), so 1 and N threads give the same bits.
 * Helpers are unref'd (they never keep the process alive) and `stopWasmThreads` ends them.
 */
import { HOST_MATH } from "../codegen/wasm/index.js";
import { envVar, nodeBuiltin } from "../ir/platform.js";

const SEQ = 0, DONE = 1, READY = 2, STATUS = 3, EXEC = 4, FN = 5, NARGS = 6, ARGS = 7;
const MAX_ARGS = 64;
const CTL_WORDS = ARGS + MAX_ARGS;
/** Milliseconds a helper spins on its job word before it sleeps, and the caller on a done word. */
const SPIN_MS = 0.2;
const GIVE_UP_MS = 10000;

function helperScript(): string {
  const math = Object.keys(HOST_MATH).map((n) => (n in Math ? `${n}: Math.${n}` : `${n}: ${String(HOST_MATH[n as keyof typeof HOST_MATH])}`)).join(", ");
  return `"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { ctl, port } = workerData;
const math = { ${math} };
const execs = new Map();
Atomics.store(ctl, ${READY}, 1);
let seen = Atomics.load(ctl, ${SEQ});
for (;;) {
  const t0 = performance.now();
  while (Atomics.load(ctl, ${SEQ}) === seen && performance.now() - t0 < ${SPIN_MS});
  if (Atomics.load(ctl, ${SEQ}) === seen) { Atomics.wait(ctl, ${SEQ}, seen); continue; }
  const seq = Atomics.load(ctl, ${SEQ});
  seen = seq;
  let status = 0;
  try {
    const id = ctl[${EXEC}];
    while (!execs.has(id)) {
      const m = receiveMessageOnPort(port);
      if (!m) throw new Error("module missing");
      const inst = new WebAssembly.Instance(m.message.module, { env: { memory: m.message.memory }, math });
      execs.set(m.message.id, m.message.names.map((n) => inst.exports[n]));
    }
    const args = [];
    for (let i = 0; i < ctl[${NARGS}]; i++) args.push(ctl[${ARGS} + i]);
    execs.get(id)[ctl[${FN}]](...args);
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
  readonly port: { postMessage(m: unknown): void; close(): void };
  readonly worker: { terminate(): unknown; unref(): void };
  seq: number;
  dead: boolean;
}

type WorkerThreads = typeof import("node:worker_threads");
const helpers: Helper[] = [];
let nextExec = 1;

function workerThreads(): WorkerThreads | undefined {
  try {
    return nodeBuiltin("node:worker_threads");
  } catch {
    return undefined;
  }
}

/** Whether shared Wasm memory and workers exist here (else every step runs on one thread). */
export function threadsAvailable(): boolean {
  return typeof SharedArrayBuffer === "function" && !!workerThreads();
}

/** Makes sure `n` helpers exist (started once per process, reused by every executable). */
function ensureHelpers(n: number): void {
  const wt = workerThreads();
  if (!wt) return;
  while (helpers.length < n) {
    const ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
    const { port1, port2 } = new wt.MessageChannel();
    const worker = new wt.Worker(helperScript(), { eval: true, workerData: { ctl, port: port2 }, transferList: [port2] });
    const h: Helper = { ctl, port: port1, worker, seq: 0, dead: false };
    worker.on("error", () => void (h.dead = true));
    worker.on("exit", () => void (h.dead = true));
    worker.unref();
    port1.unref();
    helpers.push(h);
  }
}

/** Ends every helper (a later threaded step starts new ones). */
export async function stopWasmThreads(): Promise<void> {
  const hs = helpers.splice(0);
  for (const h of hs) h.port.close();
  await Promise.all(hs.map((h) => h.worker.terminate()));
}

/** Helpers started and answering, and the row blocks they have been given (tests see the split happen). */
export function wasmThreadStats(): { helpers: number; ready: number; jobs: number } {
  return { helpers: helpers.length, ready: helpers.filter((h) => !h.dead && Atomics.load(h.ctl, READY) === 1).length, jobs };
}
let jobs = 0;

/** One executable's view of the pool: its module registered with `threads - 1` helpers. */
export class RowSplitter {
  private readonly id = nextExec++;
  private readonly sent = new Set<Helper>();
  /** Per kernel: smoothed ms per call on one thread and split, and calls so far (the measured choice). */
  private readonly cost = new Map<number, { one: number; many: number; calls: number }>();

  constructor(
    private readonly threads: number,
    private readonly module: object,
    private readonly memory: object,
    private readonly names: readonly string[],
    private readonly exportsOf: Record<string, unknown>,
    private readonly scratch: { readonly at: number; readonly bytes: number },
  ) {
    if (threads > 1) ensureHelpers(threads - 1);
  }

  /** Runs rows [0, rows) of export `name` with pointer args `ptrs`, split when splitting has measured faster. */
  rows(kernel: number, name: string, rows: number, work: number, ptrs: readonly number[]): void {
    const f = this.exportsOf[name] as (...a: number[]) => void;
    const ready = this.threads > 1 && work >= MIN_WORK * 2 && rows >= 2 ? this.ready() : [];
    if (!ready.length) return f(...ptrs, 0, rows, this.scratch.at);
    // measured choice: try both ways for the first calls, then take the faster, re-trying the other every 32nd call
    let c = this.cost.get(kernel);
    if (!c) this.cost.set(kernel, (c = { one: 0, many: 0, calls: 0 }));
    const n = c.calls++;
    const split = n < 4 ? n % 2 === 1 : n % 32 === 0 ? c.many >= c.one : c.many < c.one;
    const t0 = performance.now();
    if (split) this.split(f, name, rows, ptrs, ready);
    else f(...ptrs, 0, rows, this.scratch.at);
    const ms = performance.now() - t0;
    if (split) c.many = c.many ? 0.8 * c.many + 0.2 * ms : ms;
    else c.one = c.one ? 0.8 * c.one + 0.2 * ms : ms;
  }

  private ready(): Helper[] {
    return helpers.slice(0, this.threads - 1).filter((h) => !h.dead && Atomics.load(h.ctl, READY) === 1);
  }

  private split(f: (...a: number[]) => void, name: string, rows: number, ptrs: readonly number[], hs: Helper[]): void {
    const parts = Math.min(hs.length + 1, rows);
    const at = (p: number): number => Math.floor((p * rows) / parts);
    const fn = this.names.indexOf(name);
    const pending: { h: Helper; r0: number; r1: number; seq: number }[] = [];
    for (let p = 1; p < parts; p++) {
      const h = hs[p - 1]!;
      if (!this.sent.has(h)) {
        h.port.postMessage({ id: this.id, module: this.module, memory: this.memory, names: this.names });
        this.sent.add(h);
      }
      const args = [...ptrs, at(p), at(p + 1), this.scratch.at + p * this.scratch.bytes];
      h.ctl[EXEC] = this.id;
      h.ctl[FN] = fn;
      h.ctl[NARGS] = args.length;
      args.forEach((a, i) => (h.ctl[ARGS + i] = a));
      const seq = ++h.seq;
      Atomics.store(h.ctl, SEQ, seq);
      Atomics.notify(h.ctl, SEQ);
      pending.push({ h, r0: at(p), r1: at(p + 1), seq });
      jobs++;
    }
    f(...ptrs, 0, at(1), this.scratch.at);
    for (const j of pending) {
      const t0 = performance.now();
      while (Atomics.load(j.h.ctl, DONE) !== j.seq && performance.now() - t0 < SPIN_MS);
      while (Atomics.load(j.h.ctl, DONE) !== j.seq && !j.h.dead && performance.now() - t0 < GIVE_UP_MS) Atomics.wait(j.h.ctl, DONE, Atomics.load(j.h.ctl, DONE), 50);
      if (Atomics.load(j.h.ctl, DONE) !== j.seq || j.h.ctl[STATUS] !== 0) {
        // a helper that failed or went silent: its rows on this thread (same bits), and it gets no more work
        if (Atomics.load(j.h.ctl, DONE) !== j.seq) j.h.dead = true;
        f(...ptrs, j.r0, j.r1, this.scratch.at);
      }
    }
  }
}

/** Multiply-adds per thread below which a split is not tried (a wake-up costs ~10-50 us; below this the work is shorter). */
export const MIN_WORK = 1 << 17;

/** The thread count: the `threads` option, else GRAFT_THREADS, else the core count. */
export function resolveWasmThreads(opt: unknown): number {
  const env = envVar("GRAFT_THREADS");
  const v: unknown = opt ?? (env === undefined || env === "" ? "auto" : /^\d+$/.test(env) ? Number(env) : env);
  if (v === "auto") return threadsAvailable() ? Math.max(1, Math.min(64, cores())) : 1;
  if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 64) return v;
  return -1;
}

function cores(): number {
  return nodeBuiltin("node:os")?.availableParallelism?.() ?? (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}
