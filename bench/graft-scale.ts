/** @file W7, compile scaling: deep 64-wide MLP training steps (Adam, js backend) of ~150 to ~16k traced nodes, time per phase and the fitted exponent.
 *
 * Each size is a fresh model (variables, Adam slots) whose step is traced, differentiated, run
 * through every pass of the default pipeline one at a time (each pass's own time from the pass
 * manager's stats), and compiled by the js backend (codegen = generateJs: lowering, memory plan,
 * source; instantiate = `new Function` over that source). The exponent is the least-squares slope
 * of log(total) against log(traced nodes); 1 is linear. Run alone: `tsx bench/graft-scale.ts
 * [--quick|--tiny]`; `npm run bench` appends it as a section.
 */
import { losses, matmul, mean, optimizers, randomNormal, tensor, variable, zeros, type Tensor } from "../src/index.js";
import { expandGradients } from "../src/passes/grad.js";
import { makeContext, runPasses } from "../src/passes/pass.js";
import { PIPELINES } from "../src/passes/pipeline.js";
import { generateJs } from "../src/codegen/js/index.js";
import { JsExecutable } from "../src/runtime/js.js";
import { traceStep } from "../src/dsl/fn.js";
import { flatten } from "../src/dsl/pytree.js";
import { asInputArray } from "../src/dsl/inputs.js";
import type { ExtraSection } from "./report.js";
import type { SizeMode } from "./workloads.js";
import { median } from "./harness.js";

const WIDTH = 64;
const BATCH = 16;
const CLASSES = 10;

/** A deep MLP step as a user writes it: `depth` hidden relu layers of WIDTH, Adam over every weight and bias. */
export function deepMlp(depth: number): { step: (x: Tensor, y: Tensor) => Tensor; x: Tensor; y: Tensor } {
  const sizes = [WIDTH, ...Array.from({ length: depth }, () => WIDTH), CLASSES];
  const W = sizes.slice(1).map((n, l) => variable(randomNormal([sizes[l]!, n], { seed: l + 1 }).mul(0.1), { name: `W${l}` }));
  const b = sizes.slice(1).map((n, l) => variable(zeros([n]), { name: `b${l}` }));
  const opt = new optimizers.Adam({ learningRate: 1e-3 });
  const params = W.flatMap((w, l) => [w, b[l]!]);
  const step = (x: Tensor, y: Tensor): Tensor =>
    opt.minimize(() => {
      let h = x;
      for (let l = 0; l < W.length; l++) {
        h = matmul(h, W[l]!).add(b[l]!);
        if (l < W.length - 1) h = h.relu();
      }
      return mean(losses.sparseCategoricalCrossentropy(y, h, true));
    }, params);
  const x = randomNormal([BATCH, WIDTH], { seed: 99 });
  const y = tensor(Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES), [BATCH], "i32");
  return { step, x, y };
}

export interface ScaleRow {
  depth: number;
  nodes: { traced: number; grad: number; optimized: number; fused: number };
  /** milliseconds by phase (medians); pass names as the pass manager records them */
  phases: Record<string, number>;
  total: number;
}

/** One compile of a depth-`depth` step, phase by phase (fn() runs the same steps, untimed). */
export function compileOnce(depth: number): { nodes: ScaleRow["nodes"]; phases: Record<string, number> } {
  const { step, x, y } = deepMlp(depth);
  const phases: Record<string, number> = {};
  const add = (k: string, ms: number) => (phases[k] = (phases[k] ?? 0) + ms);
  let t = performance.now();
  const { leaves, def } = flatten([x, y]);
  const traced = traceStep("deep_mlp", step, leaves.map((l) => asInputArray(l)), def).graph;
  add("trace", performance.now() - t);
  t = performance.now();
  const grad = expandGradients(traced);
  add("grad", performance.now() - t);
  const ctx = makeContext({});
  const optimized = runPasses(grad, PIPELINES.default!.optimize, ctx).graph;
  const fused = runPasses(optimized, PIPELINES.default!.fuse, ctx).graph;
  // a fixpoint's stat includes its inner passes (recorded before it): keep only its own overhead
  const fixpoints = new Set(PIPELINES.default!.optimize.filter((p) => p.description.startsWith("repeat ")).map((p) => p.name));
  const topLevel = new Set(PIPELINES.default!.optimize.map((p) => p.name));
  const inner: number[] = [];
  for (const [i, s] of ctx.stats.entries()) {
    // the pipeline's own (non-fixpoint) passes end what a fixpoint before them ran
    if (i === 0 || (topLevel.has(s.pass) && !fixpoints.has(s.pass) && s.pass !== "stabilize")) {
      add(s.pass, s.ms);
      inner.length = 0;
    } else if (fixpoints.has(s.pass)) {
      add(`${s.pass} (fixpoint check)`, s.ms - inner.reduce((a, b) => a + b, 0));
      inner.length = 0;
    } else {
      add(s.pass, s.ms);
      inner.push(s.ms);
    }
  }
  t = performance.now();
  const program = generateJs(fused, { stage: "fused" });
  add("js codegen", performance.now() - t);
  t = performance.now();
  new JsExecutable(program, { traced, grad, optimized, fused }, { threads: 1 });
  add("instantiate", performance.now() - t);
  return { nodes: { traced: traced.nodes.length, grad: grad.nodes.length, optimized: optimized.nodes.length, fused: fused.nodes.length }, phases };
}

/** Traced nodes of a depth: measured at two depths, linear in between (each layer adds the same nodes). */
function depthFor(targetNodes: number): number {
  const n1 = compileOnce(1).nodes.traced;
  const n2 = compileOnce(2).nodes.traced;
  return Math.max(1, Math.round(1 + (targetNodes - n1) / (n2 - n1)));
}

/** Least-squares slope of log(y) on log(x). */
export function fitExponent(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  lx.forEach((v, i) => {
    num += (v - mx) * (ly[i]! - my);
    den += (v - mx) ** 2;
  });
  return num / den;
}

export const SCALE_TARGETS: Record<SizeMode, number[]> = {
  full: [150, 1000, 4000, 8000, 16000],
  quick: [150, 1000, 4000, 8000],
  tiny: [150, 1000],
};

export function measureScaling(mode: SizeMode, log: (l: string) => void = () => {}): ScaleRow[] {
  const rows: ScaleRow[] = [];
  compileOnce(2); // warm the compiler's own code up
  for (const target of SCALE_TARGETS[mode]) {
    const depth = depthFor(target);
    const reps = target <= 1000 ? (mode === "tiny" ? 1 : 5) : target <= 4000 ? 3 : 1;
    const runs = Array.from({ length: reps }, () => compileOnce(depth));
    const keys = Object.keys(runs[0]!.phases);
    const phases = Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r.phases[k] ?? 0))]));
    const total = median(runs.map((r) => Object.values(r.phases).reduce((a, b) => a + b, 0)));
    rows.push({ depth, nodes: runs[0]!.nodes, phases, total });
    log(`W7 depth ${depth}: ${runs[0]!.nodes.traced} traced nodes, ${total.toFixed(0)} ms`);
  }
  return rows;
}

/** The W1 step's compile with the js backend (fn().trace), median ms: the W5 target read off here too. */
export function w1CompileMs(compile: () => void, reps: number): number {
  compile();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    compile();
    t.push(performance.now() - t0);
  }
  return median(t);
}

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function scaleSection(rows: readonly ScaleRow[]): ExtraSection {
  const phaseNames = [...new Set(rows.flatMap((r) => Object.keys(r.phases)))];
  const exponent = rows.length >= 2 ? fitExponent(rows.map((r) => r.nodes.traced), rows.map((r) => r.total)) : NaN;
  const r8k = rows.find((r) => r.nodes.traced >= 7000 && r.nodes.traced <= 9000);
  const perPhase = phaseNames.map((p) => `${p} ${rows.length >= 2 ? fitExponent(rows.map((r) => r.nodes.traced), rows.map((r) => Math.max(1e-3, r.phases[p] ?? 0))).toFixed(2) : "?"}`);
  return {
    id: "W7",
    title: `compile scaling: deep ${WIDTH}-wide MLP steps (relu, softmax xent, Adam; batch ${BATCH}), js backend (ms, medians)`,
    head: ["depth", "nodes traced/grad/opt/fused", "total", ...phaseNames],
    rows: rows.map((r) => [String(r.depth), `${r.nodes.traced} / ${r.nodes.grad} / ${r.nodes.optimized} / ${r.nodes.fused}`, ms(r.total), ...phaseNames.map((p) => ms(r.phases[p] ?? 0))]),
    notes: [
      `Fitted exponent (total ms ~ traced nodes^k, least squares over the rows): **k = ${exponent.toFixed(2)}** (target <= 1.15). ` +
        (r8k ? `${r8k.nodes.traced} traced nodes compile in ${ms(r8k.total)} ms (target <= 1000 ms). ` : "") +
        "Per phase: " + perPhase.join(", ") + ".",
      "Each row is a fresh model; phases are timed one at a time as fn() runs them (trace = the DSL building the traced graph; grad = expandGradients; " +
        "then every pass of the default pipeline, inner passes of the fixpoints summed over rounds, 'fixpoint check' = what a fixpoint adds to decide it is done; " +
        "js codegen = lowering + memory plan + source; instantiate = new Function over the source). Medians of 5 compiles up to 1k nodes, 3 at 4k, 1 above.",
    ],
    data: { rows, exponent },
  };
}

// run alone: tsx bench/graft-scale.ts [--quick|--tiny]
if (process.argv[1]?.endsWith("graft-scale.ts")) {
  const mode: SizeMode = process.argv.includes("--tiny") ? "tiny" : process.argv.includes("--quick") ? "quick" : "full";
  const rows = measureScaling(mode, (l) => process.stderr.write(l + "\n"));
  const s = scaleSection(rows);
  process.stdout.write([s.head.join(" | "), ...s.rows.map((r) => r.join(" | ")), ...(s.notes ?? [])].join("\n") + "\n");
}
