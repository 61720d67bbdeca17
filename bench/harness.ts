/** @file Benchmark harness: set up contenders, cross-check their results, time them interleaved. */

/** One engine's ready-to-run implementation of a workload. */
export interface Instance {
  /** One timed unit of work (one training step, one update, one matmul). */
  run(): Promise<void> | void;
  /**
   * Numbers to cross-check against the workload's first contender. Must not depend on how many
   * times `run()` was called (e.g. re-initialize and do one step from the initial state).
   */
  result(): Promise<number[]> | number[];
  /** Untimed hook called before every timed and warm-up run (e.g. `tf.setBackend`). */
  beforeRun?(): Promise<void> | void;
  dispose?(): void;
}

export interface Contender {
  /** unique within a workload, e.g. "tfjs wasm", "graft js" */
  name: string;
  /** what executes the math: "js" (scalar JS) or "wasm" (wasm SIMD); picks the peak compared to */
  engine: string;
  /** threads the math runs on (default 1): the peak it is held to is the one-thread peak times this */
  threads?: number;
  setup(): Promise<Instance>;
  /** shown under the table (e.g. what the contender does differently) */
  note?: string;
}

export interface Workload {
  id: string;
  title: string;
  unit?: "ms";
  /** FLOPs of one run(), for GFLOP/s and % of the compute peak */
  flops?: number;
  /** bytes one run() must move at least, for GB/s and % of the bandwidth peak */
  bytes?: number;
  contenders: Contender[];
  /** contender name the ratios are against; falls back to the first contender that ran */
  baseline: string;
  /** a result passes when |x - ref| <= tolerance * max(1, |ref|) for every number */
  tolerance: number;
  note?: string;
}

export type ContenderStatus = "reference" | "ok" | "MISMATCH" | "skipped" | "failed";

export interface ContenderResult {
  name: string;
  engine: string;
  /** threads the math runs on (1 unless the contender says otherwise) */
  threads: number;
  status: ContenderStatus;
  /** why skipped / failed / mismatched */
  reason?: string;
  /** max |x - ref| over the checked numbers (0 for the reference) */
  maxAbsDiff?: number;
  /** one timed run per round, in ms */
  samples: number[];
  median?: number;
  min?: number;
  note?: string;
}

export interface WorkloadResult {
  id: string;
  title: string;
  flops?: number;
  bytes?: number;
  tolerance: number;
  /** requested baseline, and the one actually used (may differ if the requested one did not run) */
  baselineRequested: string;
  baseline: string;
  /** name of the contender the others were checked against */
  reference?: string;
  rounds: number;
  contenders: ContenderResult[];
  note?: string;
}

export interface RunOptions {
  /** quick mode: minimum rounds, small time budget */
  quick?: boolean;
  /** timed rounds; default 5 in quick mode, 5..30 within `budgetMs` otherwise */
  repeats?: number;
  /** untimed runs per contender before timing; default 2 (quick 1) */
  warmup?: number;
  /** time budget per workload for the adaptive round count (full mode), ms; default 20000 */
  budgetMs?: number;
  /** true: progress lines on stderr; a function receives them instead */
  progress?: boolean | ((line: string) => void);
}

export const MIN_ROUNDS = 5;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Max |a-b| and whether every pair is within tol * max(1, |ref|); a length mismatch or NaN fails. */
export function compareResults(
  got: number[],
  ref: number[],
  tol: number,
): { pass: boolean; maxAbsDiff: number; reason?: string } {
  if (got.length !== ref.length) {
    return { pass: false, maxAbsDiff: Infinity, reason: `result length ${got.length} != ${ref.length}` };
  }
  let maxAbsDiff = 0;
  let worst = -1;
  let worstExcess = -Infinity;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i] - ref[i]);
    // NaN sticks: once seen, maxAbsDiff stays NaN (NaN > x and x > NaN are both false).
    if (Number.isNaN(d)) maxAbsDiff = NaN;
    else if (d > maxAbsDiff) maxAbsDiff = d;
    const limit = tol * Math.max(1, Math.abs(ref[i]));
    if (!(d <= limit)) {
      const excess = Number.isNaN(d) ? Infinity : d / limit;
      if (excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  const pass = worst < 0;
  const reason = pass ? undefined : `element ${worst}: ${got[worst]} vs ${ref[worst]}`;
  return { pass, maxAbsDiff, reason };
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0].slice(0, 200);
}

async function call<T>(f: () => Promise<T> | T): Promise<T> {
  const r = f();
  return r instanceof Promise ? await r : r;
}

async function timedRun(inst: Instance): Promise<number> {
  if (inst.beforeRun) await call(() => inst.beforeRun!());
  const t0 = performance.now();
  const r = inst.run();
  if (r instanceof Promise) await r;
  return performance.now() - t0;
}

function makeLogger(progress: RunOptions["progress"]): (line: string) => void {
  if (typeof progress === "function") return progress;
  if (progress) return (line) => process.stderr.write(line + "\n");
  return () => {};
}

/** Run one workload: setup all, check results against the first, warm up, time interleaved. */
export async function runWorkload(w: Workload, opts: RunOptions = {}): Promise<WorkloadResult> {
  const log = makeLogger(opts.progress);
  const warmup = opts.warmup ?? (opts.quick ? 1 : 2);
  const results: ContenderResult[] = w.contenders.map((c) => ({
    name: c.name,
    engine: c.engine,
    threads: c.threads ?? 1,
    status: "ok",
    samples: [],
    note: c.note,
  }));
  const insts: (Instance | undefined)[] = [];

  // Setup, then result() for the cross-check. The first contender that produces a result is the
  // reference; everyone else must agree with it within the tolerance.
  let ref: number[] | undefined;
  let reference: string | undefined;
  for (let i = 0; i < w.contenders.length; i++) {
    const c = w.contenders[i];
    const r = results[i];
    const t0 = performance.now();
    let inst: Instance | undefined;
    try {
      inst = await c.setup();
    } catch (e) {
      r.status = "skipped";
      r.reason = `setup failed: ${errorText(e)}`;
      log(`${w.id}  ${c.name}: SKIPPED (${r.reason})`);
      insts.push(undefined);
      continue;
    }
    insts.push(inst);
    let got: number[];
    try {
      if (inst.beforeRun) await call(() => inst!.beforeRun!());
      got = [...(await call(() => inst!.result()))];
    } catch (e) {
      r.status = "failed";
      r.reason = `result() threw: ${errorText(e)}`;
      log(`${w.id}  ${c.name}: FAILED (${r.reason})`);
      continue;
    }
    if (ref === undefined) {
      ref = got;
      reference = c.name;
      r.status = "reference";
      r.maxAbsDiff = 0;
    } else {
      const cmp = compareResults(got, ref, w.tolerance);
      r.maxAbsDiff = cmp.maxAbsDiff;
      if (!cmp.pass) {
        r.status = "MISMATCH";
        r.reason = cmp.reason;
      }
    }
    const dt = (performance.now() - t0).toFixed(0);
    const chk = r.status === "MISMATCH" ? `MISMATCH max|d|=${r.maxAbsDiff?.toExponential(2)}` : r.status;
    log(`${w.id}  ${c.name}: setup+check ${dt} ms, ${chk}`);
  }

  const live = insts
    .map((inst, i) => ({ inst, i }))
    .filter((x): x is { inst: Instance; i: number } => x.inst !== undefined && results[x.i].status !== "failed");

  const fail = (i: number, e: unknown, phase: string) => {
    results[i].status = "failed";
    results[i].reason = `${phase}: ${errorText(e)}`;
    log(`${w.id}  ${w.contenders[i].name}: FAILED (${results[i].reason})`);
  };

  // Warm-up (interleaved too, so JIT tiers and caches settle the same way for everyone).
  const warmMs: number[] = new Array(w.contenders.length).fill(0);
  for (let k = 0; k < warmup; k++) {
    for (const { inst, i } of live) {
      if (results[i].status === "failed") continue;
      try {
        warmMs[i] = await timedRun(inst);
      } catch (e) {
        fail(i, e, "warm-up run()");
      }
    }
  }

  // Rounds: fixed when asked; otherwise as many as fit the budget, within [MIN_ROUNDS, 30].
  let rounds = opts.repeats ?? MIN_ROUNDS;
  if (opts.repeats === undefined && !opts.quick) {
    const perRound = live.reduce((s, { i }) => s + warmMs[i], 0);
    const budget = opts.budgetMs ?? 20000;
    rounds = Math.max(MIN_ROUNDS, Math.min(30, Math.floor(budget / Math.max(perRound, 1e-3))));
  }

  // Interleaved timing: one run of each contender per round, starting contender rotated per round.
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < live.length; k++) {
      const { inst, i } = live[(r + k) % live.length];
      if (results[i].status === "failed") continue;
      try {
        results[i].samples.push(await timedRun(inst));
      } catch (e) {
        fail(i, e, "run()");
      }
    }
  }

  for (const { inst } of live) {
    try {
      inst.dispose?.();
    } catch {
      /* a failing dispose must not lose the measurements */
    }
  }

  for (const r of results) {
    if (r.samples.length > 0 && r.status !== "failed") {
      r.median = median(r.samples);
      r.min = Math.min(...r.samples);
    }
  }

  const ran = (name: string) => results.find((r) => r.name === name && r.median !== undefined && r.status !== "MISMATCH");
  const baseline = ran(w.baseline)?.name ?? results.find((r) => r.median !== undefined && r.status !== "MISMATCH")?.name ?? w.baseline;

  const line = results
    .map((r) => `${r.name} ${r.median !== undefined ? r.median.toFixed(2) + " ms" : r.status}`)
    .join(" | ");
  log(`${w.id}  done (${rounds} rounds): ${line}`);

  return {
    id: w.id,
    title: w.title,
    flops: w.flops,
    bytes: w.bytes,
    tolerance: w.tolerance,
    baselineRequested: w.baseline,
    baseline,
    reference,
    rounds,
    contenders: results,
    note: w.note,
  };
}

export async function runWorkloads(workloads: Workload[], opts: RunOptions = {}): Promise<WorkloadResult[]> {
  const log = makeLogger(opts.progress);
  const out: WorkloadResult[] = [];
  for (let k = 0; k < workloads.length; k++) {
    const w = workloads[k];
    log(`[${k + 1}/${workloads.length}] ${w.id}: ${w.title}`);
    out.push(await runWorkload(w, opts));
  }
  return out;
}

/** median(contender) / median(baseline): > 1 means slower than the baseline. */
export function ratioToBaseline(w: WorkloadResult, c: ContenderResult): number | undefined {
  const b = w.contenders.find((x) => x.name === w.baseline);
  if (!b || b.median === undefined || c.median === undefined || c.status === "MISMATCH") return undefined;
  return c.median / b.median;
}
