/** @file The lowering pipeline from the traced stage to the stages backends consume, and the named pass pipelines. */
import { UsageError, verify, type Graph } from "../ir/index.js";
import { envVar } from "../ir/platform.js";
import { expandGradients } from "./grad.js";
import { fixpoint, makeContext, runPasses, type Pass, type PassContext, type PassOptions, type PassStat } from "./pass.js";
import { simplify } from "./simplify.js";
import { stabilize } from "./stabilize.js";
import { layout } from "./layout.js";
import { fold } from "./fold.js";
import { cse } from "./cse.js";
import { dce } from "./dce.js";
import { fuse } from "./fuse.js";
import { schedule } from "./memory.js";

export type StageName = "traced" | "grad" | "optimized" | "fused";
export const STAGES: readonly StageName[] = ["traced", "grad", "optimized", "fused"];

/** Every stage a compiled step went through; later issues fill in grad, optimized and fused. */
export interface Stages {
  readonly traced: Graph;
  readonly grad?: Graph;
  readonly optimized?: Graph;
  readonly fused?: Graph;
}

export interface PipelineOptions extends PassOptions {
  /** Which entry of PIPELINES lowers grad -> optimized -> fused (default "default"). */
  readonly pipeline?: string;
}

/** A named pipeline: the passes that make the "optimized" stage, then those that make "fused". */
export interface Pipeline {
  readonly optimize: readonly Pass[];
  readonly fuse: readonly Pass[];
}

/**
 * "default": stabilize first (its patterns must see the user's ops before simplification
 * reshapes them), then simplify/fold/CSE/DCE to a fixed point, then matmul layout, then fuse.
 * "O0": no rewriting at all, only fusion (for comparing against the unoptimized graph).
 */
export const PIPELINES: Readonly<Record<string, Pipeline>> = {
  default: {
    optimize: [stabilize, fixpoint("optimize", [simplify, stabilize, fold, cse, dce]), layout, fixpoint("cleanup", [simplify, cse, dce])],
    fuse: [fuse, schedule],
  },
  O0: { optimize: [dce], fuse: [fuse, schedule] },
};

/** Every pass by name (golden tests, the CLI): the default pipeline's fixpoints included. */
export const PASSES: Readonly<Record<string, Pass>> = Object.fromEntries(
  [stabilize, simplify, fold, cse, dce, layout, fuse, schedule, ...PIPELINES.default!.optimize].map((p) => [p.name, p]),
);

export interface Lowered {
  readonly stages: Stages;
  /** One entry per pass run, in order. */
  readonly stats: readonly PassStat[];
  /** What passes noted (rules that fired, fusion decisions and refusals), by pass name. */
  readonly notes: ReadonlyMap<string, readonly string[]>;
  /** Milliseconds spent making each stage (reports show them). */
  readonly ms?: Readonly<Partial<Record<StageName, number>>>;
}

const reports = new WeakMap<Graph, Lowered>();
/** The lowering report of a stage graph made by `lower` (for explain, dumps and stats). */
export const loweringOf = (g: Graph): Lowered | undefined => reports.get(g);

/** Lowers a traced graph through every stage, with statistics and decision notes. */
export function lower(traced: Graph, opts: PipelineOptions = {}): Lowered {
  const p = PIPELINES[opts.pipeline ?? "default"];
  if (!p) throw new UsageError(`unknown pipeline '${opts.pipeline}' (pipelines: ${Object.keys(PIPELINES).join(", ")})`);
  const ctx: PassContext = makeContext({ ...opts, verify: opts.verify ?? envVar("GRAFT_VERIFY") === "1" });
  const t0 = performance.now();
  const grad = expandGradients(traced);
  if (ctx.options.verify && grad !== traced) verify(grad);
  const t1 = performance.now();
  const optimized = runPasses(grad, p.optimize, ctx).graph;
  const t2 = performance.now();
  const fused = runPasses(optimized, p.fuse, ctx).graph;
  const ms = { grad: t1 - t0, optimized: t2 - t1, fused: performance.now() - t2 };
  const out: Lowered = { stages: { traced, grad, optimized, fused }, stats: ctx.stats, notes: ctx.notes, ms };
  for (const g of [optimized, fused]) reports.set(g, out);
  return out;
}

/** Lowers a traced graph through every stage (what fn() calls). */
export function lowerStages(traced: Graph, opts: PipelineOptions = {}): Stages {
  return lower(traced, opts).stages;
}
