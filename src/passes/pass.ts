/** @file The pass manager: a pass is Graph → Graph; pipelines run passes with verify-after-each, dump hooks and stats. */
import { print, verify, VerifyError, type Graph } from "../ir/index.js";

/** Knobs every pass may read. All are optional; the defaults are the safe, IEEE-exact behaviour. */
export interface PassOptions {
  /** Run the verifier after every pass (tests set GRAFT_VERIFY=1, which turns this on). */
  readonly verify?: boolean;
  /** Called after every pass with its name and result (dumps, the CLI, debugging). */
  readonly dump?: (passName: string, graph: Graph) => void;
  /**
   * Allow rewrites that change results on NaN/Inf inputs (x*0 -> 0, x-x -> 0). Off by default:
   * without it no rewrite changes what a NaN or an Inf turns into.
   */
  readonly fastMath?: boolean;
  /** Largest non-splat constant (elements) constant folding may create. Default 1024. */
  readonly maxFoldElements?: number;
  /**
   * How matmul transposes are expressed: "flags" folds transposes into matmul's transposeA/B
   * (the js backend's blocked kernel reads either layout at the same speed); "explicit" turns
   * flags back into transpose nodes (tfjs-wasm runs transposed matmuls 10-15x slower).
   */
  readonly matmulTransposes?: "flags" | "explicit";
  /** Fusion: let matmul kernels absorb elementwise consumers (bias, activation, optimizer update). Default true. */
  readonly matmulEpilogues?: boolean;
}

/** What passes can leave for later readers: decision logs (fusion), notes, statistics. */
export interface PassContext {
  readonly options: PassOptions;
  /** Lines a pass wants `explain` to show, by pass name. */
  readonly notes: Map<string, string[]>;
  /** One entry per pass run (inner passes of a fixpoint included), in order. */
  readonly stats: PassStat[];
}

export interface Pass {
  readonly name: string;
  /** One line: what the pass does (shown by explain and the CLI). */
  readonly description: string;
  readonly run: (g: Graph, ctx: PassContext) => Graph;
}

export interface PassStat {
  readonly pass: string;
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  /** Wall time of the pass (a fixpoint's includes its inner passes), for compile-time profiles. */
  readonly ms: number;
}

export interface PassRunResult {
  readonly graph: Graph;
  readonly stats: readonly PassStat[];
  readonly ctx: PassContext;
}

export const makeContext = (options: PassOptions = {}): PassContext => ({ options, notes: new Map(), stats: [] });

/** Nodes in a graph, counting region bodies' members too (a fused kernel is not free). */
export const nodeCount = (g: Graph): number => g.nodes.length;

/** Runs one pass: verifies its result when asked (so a broken pass is named at once), dumps, records stats. */
export function runPass(p: Pass, g: Graph, ctx: PassContext): Graph {
  const t0 = performance.now();
  const next = p.run(g, ctx);
  const ms = performance.now() - t0;
  if (ctx.options.verify) {
    try {
      verify(next);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new VerifyError(`after pass '${p.name}': ${why}\n--- graph after '${p.name}':\n${print(next, { locs: false })}`);
    }
  }
  ctx.options.dump?.(p.name, next);
  ctx.stats.push({ pass: p.name, nodesBefore: nodeCount(g), nodesAfter: nodeCount(next), ms });
  return next;
}

/** Runs `passes` in order on `g`. */
export function runPasses(g: Graph, passes: readonly Pass[], ctx: PassContext = makeContext()): PassRunResult {
  const first = ctx.stats.length;
  let cur = g;
  for (const p of passes) cur = runPass(p, cur, ctx);
  return { graph: cur, stats: ctx.stats.slice(first), ctx };
}

/**
 * A pass that repeats `passes` until the printed graph stops changing (or `maxRounds`): rewrites
 * expose each other (folding makes constants that simplification consumes, CSE merges what
 * simplification made equal), so one round is rarely enough.
 */
export function fixpoint(name: string, passes: readonly Pass[], maxRounds = 6): Pass {
  return {
    name,
    description: `repeat ${passes.map((p) => p.name).join(", ")} until nothing changes`,
    run: (g, ctx) => {
      let cur = g;
      let text = print(cur, { locs: false });
      for (let round = 0; round < maxRounds; round++) {
        for (const p of passes) cur = runPass(p, cur, ctx);
        const next = print(cur, { locs: false });
        if (next === text) break;
        text = next;
      }
      return cur;
    },
  };
}

/** Formats pass statistics as a small table (the CLI and tests print it). */
export function printStats(stats: readonly PassStat[]): string {
  const w = Math.max(4, ...stats.map((s) => s.pass.length));
  return stats.map((s) => `${s.pass.padEnd(w)}  ${String(s.nodesBefore).padStart(5)} -> ${String(s.nodesAfter).padStart(5)} nodes`).join("\n");
}
