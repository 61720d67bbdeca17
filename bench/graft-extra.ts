/** @file Report sections that are not timed workloads: W5 compile phases and W6 peak memory of the W1 step.
 *
 * W5 phases repeat what fn() does when it compiles, one phase at a time: trace (fn().trace minus
 * the rest), grad (expandGradients), optimize and fuse+plan (the "default" pipeline's two halves,
 * as `lower` runs them), and the backend's compile (codegen + instantiation). Medians of a few
 * repeats, after the W5 workload warmed the compiler up.
 *
 * W6 memory: graft's memory plan (passes/memory.ts) for the fused stage, what the js executable
 * holds (pooled buffers + constants), TensorFlow.js's own byte counter for tfjs-based contenders
 * (`tf.profile` peak above what was live before the step; `tf.memory().numBytes` growth), and
 * the JS heap + ArrayBuffer bytes held and their growth per steady step (after a forced GC).
 */
import v8 from "node:v8";
import vm from "node:vm";
import { expandGradients } from "../src/passes/grad.js";
import { planMemory } from "../src/passes/memory.js";
import { makeContext, runPasses } from "../src/passes/pass.js";
import { PIPELINES, type Stages } from "../src/passes/pipeline.js";
import { getBackend } from "../src/runtime/index.js";
import type { ExtraSection } from "./report.js";
import type { Instance, WorkloadResult } from "./harness.js";
import type { Peaks } from "./peaks.js";
import { goalsSection } from "./graft-goals.js";
import { onnxSection } from "./graft-onnx.js";
import { median } from "./harness.js";
import { MLP_FULL, MLP_TINY } from "./data.js";
import { type MlpCase, mlpCase, mlpPeers } from "./peers/mlp.js";
import { tf } from "./peers/tfjs-env.js";
import type { SizeMode } from "./workloads.js";
import { graftMlp } from "./graft-mlp.js";
import { measureScaling, scaleSection } from "./graft-scale.js";
import { disposeInputs, input, prepare, releaseState, TARGETS, type Target } from "./graft-targets.js";

const TARGET_LIST: Target[] = [TARGETS.js, TARGETS["tfjs-cpu"], TARGETS["tfjs-wasm"]];

/** A forced full GC (flag set at runtime, as `node --expose-gc` would), so heap readings are live bytes. */
const gc: () => void = (() => {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
})();

/** Live JS heap + ArrayBuffer (typed array) bytes after a full GC. */
function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MiB`;
const kib = (b: number): string => (Math.abs(b) >= 2 ** 20 ? mib(b) : `${(b / 1024).toFixed(1)} KiB`);
const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

// ---------------------------------------------------------------------------------------------
// W5: compile phases

interface PhaseRow {
  target: string;
  total: number;
  trace: number;
  grad: number;
  optimize: number;
  fuse: number;
  backend: number;
  firstStep: number;
  steadyStep: number;
  nodes: Partial<Record<keyof Stages, number>>;
  kernels: number;
}

async function compilePhases(t: Target, c: MlpCase, reps: number): Promise<PhaseRow> {
  await prepare(t);
  const m = graftMlp(c);
  const x = input(t, c.batch.x, [c.shape.batch, c.shape.sizes[0]!]);
  const y = input(t, c.batch.y, [c.shape.batch]);
  const times: Record<"total" | "grad" | "optimize" | "fuse" | "backend", number[]> = { total: [], grad: [], optimize: [], fuse: [], backend: [] };
  const backend = getBackend(t.opts.backend as string);
  let f = m.compile(t.opts);
  for (let r = 0; r < reps; r++) {
    f = m.compile(t.opts);
    let t0 = performance.now();
    f.trace(x, y);
    times.total.push(performance.now() - t0);
    const traced = f.graph("traced");
    t0 = performance.now();
    const grad = expandGradients(traced);
    const t1 = performance.now();
    const ctx = makeContext({});
    const optimized = runPasses(grad, PIPELINES.default!.optimize, ctx).graph;
    const t2 = performance.now();
    const fused = runPasses(optimized, PIPELINES.default!.fuse, ctx).graph;
    const t3 = performance.now();
    backend.compile({ traced, grad, optimized, fused }, { ...t.opts });
    const t4 = performance.now();
    times.grad.push(t1 - t0);
    times.optimize.push(t2 - t1);
    times.fuse.push(t3 - t2);
    times.backend.push(t4 - t3);
  }
  // the first step of a fresh compile (V8 compiles the generated code, buffers are allocated) vs steady steps
  let t0 = performance.now();
  f(x, y).item();
  const firstStep = performance.now() - t0;
  const steady: number[] = [];
  for (let i = 0; i < 3; i++) {
    t0 = performance.now();
    f(x, y).item();
    steady.push(performance.now() - t0);
  }
  const st = f.stats();
  disposeInputs(t, [x, y]);
  releaseState(t, [...m.params, ...m.opt.variables]);
  const med = (k: keyof typeof times) => median(times[k]);
  const rest = med("grad") + med("optimize") + med("fuse") + med("backend");
  return {
    target: t.name,
    total: med("total"),
    trace: Math.max(0, med("total") - rest),
    grad: med("grad"),
    optimize: med("optimize"),
    fuse: med("fuse"),
    backend: med("backend"),
    firstStep,
    steadyStep: median(steady),
    nodes: st.nodes,
    kernels: st.kernels,
  };
}

async function phasesSection(c: MlpCase, reps: number, log: (l: string) => void): Promise<ExtraSection> {
  const rows: PhaseRow[] = [];
  const failed: string[] = [];
  for (const t of TARGET_LIST) {
    try {
      rows.push(await compilePhases(t, c, reps));
      log(`W5 phases  ${t.name}: ${ms(rows.at(-1)!.total)} ms`);
    } catch (e) {
      failed.push(`${t.name}: ${String(e instanceof Error ? e.message : e).split("\n")[0]}`);
    }
  }
  const n = (r: PhaseRow) => `${r.nodes.traced ?? "?"} / ${r.nodes.grad ?? "?"} / ${r.nodes.optimized ?? "?"} / ${r.nodes.fused ?? "?"}`;
  return {
    id: "W5-phases",
    title: "where the W1 compile time goes (ms, medians)",
    head: ["target", "fn().trace total", "trace (by difference)", "grad", "optimize", "fuse + plan", "backend codegen", "first step", "steady step", "nodes traced/grad/opt/fused", "kernels"],
    rows: rows.map((r) => [r.target, ms(r.total), ms(r.trace), ms(r.grad), ms(r.optimize), ms(r.fuse), ms(r.backend), ms(r.firstStep), ms(r.steadyStep), n(r), String(r.kernels)]),
    notes: [
      `Medians of ${reps} compiles per target, each phase timed separately on the same traced graph (grad = expandGradients; optimize and fuse + plan = the "default" pipeline's two halves; backend codegen = Backend.compile: generate and instantiate the program). Trace = the fn().trace total minus the other phases. First step = the first call of a fresh compile (V8 compiles the generated code, buffers are allocated); steady step for comparison.`,
      ...(failed.length ? [`Not measured: ${failed.join("; ")}`] : []),
    ],
    data: rows,
  };
}

// ---------------------------------------------------------------------------------------------
// W6: memory

interface MemRow {
  contender: string;
  /** params + optimizer state */
  stateBytes?: number;
  /** graft plan: most intermediate bytes alive at once / arena / one buffer per value */
  planPeak?: number;
  planArena?: number;
  planUnplanned?: number;
  /** what the executable holds between steps (js: pooled buffers + constants) */
  execBytes?: number;
  /** tfjs: tf.profile peak bytes above those live before the step */
  tfPeak?: number;
  /** tfjs: tf.memory().numBytes after the warm-up steps, and its growth per step */
  tfHeld?: number;
  tfGrowth?: number;
  /** Δ(JS heap + ArrayBuffers) from before setup to after 2 steps, and growth per steady step */
  heldBytes?: number;
  heapGrowth?: number;
  /** steady steps the growth was measured over */
  steps?: number;
}

/**
 * Steady steps over which growth is measured: tfjs byte counts are exact (a few steps show a leak),
 * heap readings need more steps to average out; tfjs-cpu steps take about a second at full size.
 */
function steadySteps(mode: SizeMode, slowTfjsCpu: boolean): number {
  if (slowTfjsCpu) return mode === "full" ? 8 : 3;
  return mode === "full" ? 40 : 12;
}

/** tf.profile of one run: peak bytes above what was live when it started. */
async function tfPeakAbove(run: () => unknown): Promise<number> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(async () => {
    await run();
  });
  return info.peakBytes - before;
}

async function steadyGrowth(run: () => unknown, tfjs: boolean, steps: number): Promise<{ heap: number; tfBytes?: number }> {
  for (let i = 0; i < 2; i++) await run();
  const tf0 = tfjs ? tf.memory().numBytes : 0;
  const h0 = liveBytes();
  for (let i = 0; i < steps; i++) await run();
  const h1 = liveBytes();
  return { heap: (h1 - h0) / steps, ...(tfjs ? { tfBytes: (tf.memory().numBytes - tf0) / steps } : {}) };
}

async function graftMemory(t: Target, c: MlpCase, mode: SizeMode): Promise<MemRow> {
  await prepare(t);
  const tf0 = tf.memory().numBytes;
  const h0 = liveBytes();
  const m = graftMlp(c);
  const f = m.compile(t.opts);
  const x = input(t, c.batch.x, [c.shape.batch, c.shape.sizes[0]!]);
  const y = input(t, c.batch.y, [c.shape.batch]);
  const step = () => f(x, y).item();
  step();
  step();
  const held = liveBytes() - h0;
  const vars = [...m.params, ...m.opt.variables];
  const plan = planMemory(f.graph("fused"));
  const row: MemRow = {
    contender: t.name,
    stateBytes: vars.reduce((s, v) => s + v.size * 4, 0),
    planPeak: plan.peakBytes,
    planArena: plan.arenaBytes,
    planUnplanned: plan.unplannedBytes,
  };
  if (t.tfjs) {
    row.tfHeld = tf.memory().numBytes - tf0;
    row.tfPeak = await tfPeakAbove(step);
  } else {
    row.execBytes = f.stats().bytes;
    row.heldBytes = held;
  }
  const steps = steadySteps(mode, t.tfjs === "cpu");
  const g = await steadyGrowth(step, !!t.tfjs, steps);
  row.steps = steps;
  row.heapGrowth = g.heap;
  row.tfGrowth = g.tfBytes;
  disposeInputs(t, [x, y]);
  releaseState(t, vars);
  return row;
}

async function peerMemory(c: MlpCase, name: string, mode: SizeMode): Promise<MemRow> {
  const p = mlpPeers(c).find((q) => q.name === name)!;
  const isTf = name.startsWith("tfjs");
  const tf0 = tf.memory().numBytes;
  const h0 = liveBytes();
  const inst: Instance = await p.setup();
  const run = async () => {
    if (inst.beforeRun) await inst.beforeRun();
    await inst.run();
  };
  await run();
  await run();
  const row: MemRow = { contender: name };
  if (isTf) {
    row.tfHeld = tf.memory().numBytes - tf0;
    if (inst.beforeRun) await inst.beforeRun();
    row.tfPeak = await tfPeakAbove(() => inst.run());
  } else {
    row.heldBytes = liveBytes() - h0;
  }
  const steps = steadySteps(mode, name === "tfjs cpu");
  const g = await steadyGrowth(run, isTf, steps);
  row.steps = steps;
  row.heapGrowth = g.heap;
  row.tfGrowth = g.tfBytes;
  inst.dispose?.();
  return row;
}

async function memorySection(c: MlpCase, mode: SizeMode, log: (l: string) => void): Promise<ExtraSection> {
  const rows: MemRow[] = [];
  const failed: string[] = [];
  const tryRow = async (name: string, f: () => Promise<MemRow>) => {
    try {
      rows.push(await f());
      log(`W6 memory  ${name}: done`);
    } catch (e) {
      failed.push(`${name}: ${String(e instanceof Error ? e.message : e).split("\n")[0]}`);
    }
  };
  for (const t of TARGET_LIST) await tryRow(t.name, () => graftMemory(t, c, mode));
  for (const name of ["plain JS blocked", "tfjs cpu", "tfjs wasm"]) await tryRow(name, () => peerMemory(c, name, mode));
  const f = (b: number | undefined) => (b === undefined ? "—" : kib(b));
  const state = rows.find((r) => r.stateBytes !== undefined)?.stateBytes;
  return {
    id: "W6",
    title: "memory of the W1 training step",
    head: ["contender", "planned peak of intermediates", "planned arena / unplanned", "executable holds", "tfjs peak above live (tf.profile)", "tf.memory held (Δ over setup)", "tf bytes growth / step", "held (Δ JS heap + ArrayBuffers)", "heap growth / step"],
    rows: rows.map((r) => [
      r.contender,
      f(r.planPeak),
      r.planArena === undefined ? "—" : `${kib(r.planArena)} / ${kib(r.planUnplanned!)}`,
      f(r.execBytes),
      f(r.tfPeak),
      f(r.tfHeld),
      r.tfGrowth === undefined ? "—" : `${r.tfGrowth.toFixed(0)} B`,
      f(r.heldBytes),
      // tfjs-cpu keeps tensor data in JS arrays that GC frees whenever: its byte counter says more
      r.heapGrowth === undefined || r.contender.endsWith("tfjs-cpu") || r.contender === "tfjs cpu" ? "—" : `${(r.heapGrowth / 1024).toFixed(1)} KiB (${r.steps} steps)`,
    ]),
    notes: [
      `State (weights + Adam moments + counters): ${state === undefined ? "?" : mib(state)} for every contender. ` +
        "Planned peak: graft's memory plan of the fused stage (most bytes of intermediates alive at once); the arena is what the plan allocates after buffer reuse, " +
        "unplanned = one buffer per intermediate. The js executable allocates its pool once and holds it between steps. " +
        "tfjs rows: tf.profile's peak bytes during one step above those live before it (intermediates, on the tfjs backend's own heap), and the growth of tf.memory().numBytes over setup + two steps (state, optimizer slots, inputs, folded constants). " +
        `Held: live JS heap + ArrayBuffer bytes (after a forced GC) from before setup to after two steps; growth: the same over the steady steps shown, per step (noise of a few KiB; wasm heaps are not visible here; not shown for tfjs cpu, whose tensor arrays are freed by GC at its own pace: its tf byte counter is the leak check). ` +
        "jax-js exposes no allocator statistics and is not listed.",
      ...(failed.length ? [`Not measured: ${failed.join("; ")}`] : []),
    ],
    data: rows,
  };
}

export interface SectionOptions {
  mode: SizeMode;
  /** --only: W5 / W6 select their section; the targets table comes whenever there are results */
  only?: string[];
  log: (line: string) => void;
  results?: WorkloadResult[];
  peaks?: Peaks;
}

/** The sections run.ts appends to the report: the issue targets, W5 compile phases, W6 memory, ONNX Runtime's overhead and profile, W7 compile scaling. */
export async function graftSections(opts: SectionOptions): Promise<ExtraSection[]> {
  const want = (id: string) => !opts.only || opts.only.length === 0 || opts.only.includes(id);
  const c = mlpCase(opts.mode === "tiny" ? MLP_TINY : MLP_FULL);
  const out: ExtraSection[] = [];
  if (opts.results && opts.peaks && opts.results.length > 0) out.push(goalsSection(opts.results, opts.peaks));
  if (want("W5")) out.push(await phasesSection(c, opts.mode === "full" ? 9 : opts.mode === "quick" ? 5 : 1, opts.log));
  if (want("W6")) out.push(await memorySection(c, opts.mode, opts.log));
  if (want("ONNX")) out.push(await onnxSection(c, opts.mode, opts.log));
  if (want("W7")) out.push(scaleSection(measureScaling(opts.mode, opts.log)));
  return out;
}
