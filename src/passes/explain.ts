/** @file `explain`: what the optimizer did and why, as text — rules that fired, kernels, fusion refusals, memory. */
import { Namer, opDef, type Graph } from "../ir/index.js";
import { planFusion } from "./fuse.js";
import { planMemory, printPlan } from "./memory.js";
import { printStats, type PassOptions } from "./pass.js";
import { loweringOf } from "./pipeline.js";

const hasKernels = (g: Graph): boolean => g.nodes.some((n) => opDef(n.op).kind === "region" && n.attrs["kind"] !== undefined);

/**
 * Explains a graph. For a stage made by the pipeline (`fn(...).graph("fused")` or "optimized")
 * it shows the pass statistics, the rewrite rules that fired, the fusion plan (every kernel
 * with its member ops, every merge, every refusal with its reason) and the memory plan. For any
 * other unfused graph it plans fusion on it and shows that.
 */
export function explain(g: Graph, opts: PassOptions = {}): string {
  const report = loweringOf(g);
  const lines: string[] = [];
  if (report) {
    lines.push(`passes (nodes before -> after):`, ...printStats(report.stats).split("\n").map((l) => `  ${l}`));
    for (const [pass, notes] of report.notes) {
      if (pass === "fuse" || notes.length === 0) continue;
      lines.push(`${pass} rules fired:`, ...notes.map((n) => `  ${n}`));
    }
  }
  const unfused = report?.stages.optimized ?? (hasKernels(g) ? undefined : g);
  if (unfused) {
    const plan = planFusion(unfused, opts);
    const names = new Namer(unfused);
    const byKind = new Map<string, number>();
    for (const k of plan.kernels) byKind.set(k.shape.kind, (byKind.get(k.shape.kind) ?? 0) + 1);
    lines.push(`fusion of @${unfused.name}: ${plan.kernels.length} kernels (${[...byKind].map(([k, c]) => `${c} ${k}`).join(", ")}) from ${unfused.nodes.length} nodes`);
    plan.kernels.forEach((k, i) => {
      const dom = k.shape.kind === "elementwise" ? `[${k.shape.domain.join(",")}]` : `[${k.shape.domain.join(",")}] -> [${k.shape.out.join(",")}]`;
      lines.push(`  kernel ${i} ${k.shape.kind} on ${dom}: ${k.nodes.map((n) => `${names.name(n.outputs[0]!)} ${n.op}`).join(", ")}`);
    });
    if (plan.merges.length) lines.push("merges, in order:", ...plan.merges.map((m) => `  ${m}`));
    if (plan.refusals.length) lines.push("not fused (why):", ...plan.refusals.map((r) => `  ${r}`));
  }
  const fused = report?.stages.fused ?? (hasKernels(g) ? g : undefined);
  if (fused) lines.push(printPlan(planMemory(fused)));
  return lines.join("\n");
}
