/** @file The readable parts of a dump: why it traced, what each pass did, fusion decisions, the memory picture. */
import { sizeOf, type Graph, type Value } from "../ir/index.js";
import { loweringOf, type Lowered, type Stages } from "../passes/pipeline.js";
import { planMemory, printPlan } from "../passes/memory.js";
import type { CompileRecord } from "./registry.js";

const BYTES: Record<string, number> = { f32: 4, f64: 8, i32: 4, bool: 1 };
export const bytesOf = (v: { dtype: string; shape: readonly number[] }): number => (BYTES[v.dtype] ?? 4) * sizeOf(v.shape);

/** The lowering report behind a compiled step's stages (the pipeline keeps it per stage graph). */
export const loweringFor = (stages: Stages): Lowered | undefined => (stages.fused && loweringOf(stages.fused)) || (stages.optimized && loweringOf(stages.optimized)) || undefined;

export function reasonText(rec: CompileRecord): string {
  const g = rec.stages.traced;
  const lines = [
    `fn:        ${rec.fnName}`,
    `backend:   ${rec.backend}`,
    `trace:     #${rec.sigIndex}`,
    `reason:    ${rec.reason}`,
    `signature: ${rec.signature}`,
    ...g.inputs.map((v, i) => `input ${i}:   ${v.dtype}[${v.shape.join(",")}]`),
    ...g.state.map((s) => `state:     ${JSON.stringify(s.name)} ${s.value.dtype}[${s.value.shape.join(",")}]${s.trainable ? "" : " (frozen)"}`),
  ];
  return lines.join("\n") + "\n";
}

/** Every pass that ran, with node counts before and after, then what each pass noted (rules that fired). */
export function passesText(lw: Lowered | undefined, fusionPass: string): string {
  if (!lw) return "passes: none ran (this pipeline stops at the grad stage)\n";
  const w = Math.max(4, ...lw.stats.map((s) => s.pass.length));
  const lines = [`${"pass".padEnd(w)}  nodes`, ...lw.stats.map((s) => `${s.pass.padEnd(w)}  ${s.nodesBefore} -> ${s.nodesAfter}`)];
  for (const [pass, notes] of lw.notes) {
    if (pass === fusionPass || !notes.length) continue;
    lines.push("", `${pass}:`, ...notes.map((n) => `  ${n}`));
  }
  return lines.join("\n") + "\n";
}

/** The fusion pass's decisions, each with its reason: what merged, and what did not and why. */
export function fusionText(lw: Lowered | undefined, fusionPass: string): string {
  const notes = lw?.notes.get(fusionPass);
  if (!notes) return "fusion decisions: none recorded (no fusion pass ran)\n";
  if (!notes.length) return "fusion decisions: nothing to fuse\n";
  const merged = notes.filter((n) => !n.startsWith("not "));
  const refused = notes.filter((n) => n.startsWith("not "));
  return [`merged (${merged.length}):`, ...merged.map((n) => `  ${n}`), `refused (${refused.length}):`, ...refused.map((n) => `  ${n}`)].join("\n") + "\n";
}

/** The fused stage's memory plan (buffer per value: new, reused, in place, state), with its peak in bytes. */
export function memoryText(stages: Stages): string {
  if (!stages.fused) return livenessText(stages.optimized ?? stages.grad ?? stages.traced);
  const plan = planMemory(stages.fused);
  return `${printPlan(plan)}\npeak bytes: ${plan.peakBytes}\narena bytes: ${plan.arenaBytes} (unplanned: ${plan.unplannedBytes})\n`;
}

/**
 * A memory picture when the pipeline made no plan: the last stage run in order, each value alive
 * from its definition to its last use (outputs and assigned values to the end). Inputs and state
 * are counted as resident; the peak is the most bytes alive at once, with the node where it happens.
 */
export function livenessText(g: Graph): string {
  const lastUse = new Map<Value, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((v) => lastUse.set(v, i)));
  const end = g.nodes.length;
  for (const v of [...g.outputs, ...g.assigns.map((a) => a.value)]) lastUse.set(v, end);
  const resident = [...g.inputs, ...g.state.map((s) => s.value)].reduce((s, v) => s + bytesOf(v), 0);
  let live = 0;
  let peak = 0;
  let at = -1;
  const dying: number[] = new Array(end + 1).fill(0);
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      const b = bytesOf(o);
      live += b;
      dying[lastUse.get(o) ?? i]! += b;
    }
    if (live > peak) [peak, at] = [live, i];
    live -= dying[i]!;
  });
  const temps = g.nodes.reduce((s, n) => s + n.outputs.reduce((t, o) => t + bytesOf(o), 0), 0);
  return [
    "memory plan: none (no fused stage); liveness of the last stage instead",
    `resident (inputs + state): ${resident} bytes`,
    `temporaries: ${temps} bytes if none were reused`,
    `peak live temporaries: ${peak} bytes${at >= 0 ? ` (at node ${at}, ${g.nodes[at]!.op})` : ""}`,
    `peak bytes: ${resident + peak}`,
  ].join("\n") + "\n";
}
