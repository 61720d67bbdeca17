/** @file The performance targets of the JS codegen and tfjs codegen issues, read off the measured medians. */
import type { WorkloadResult } from "./harness.js";
import type { Peaks } from "./peaks.js";
import { computePeak, type ExtraSection } from "./report.js";

interface Goal {
  workload: string;
  /** the contender measured, and the one it is compared with */
  graft: string;
  peer: string;
  /** "faster": graft must be at least `x` times faster; "within": at most `x` times slower; undefined: report only */
  kind?: "faster" | "within";
  x?: number;
  source: string;
}

const GOALS: Goal[] = [
  { workload: "W1", graft: "graft js", peer: "tfjs wasm", kind: "faster", x: 1.4, source: "JS codegen" },
  { workload: "W1", graft: "graft js", peer: "tfjs cpu", kind: "faster", x: 5, source: "JS codegen" },
  { workload: "W1", graft: "graft tfjs-wasm", peer: "tfjs wasm", kind: "faster", x: 4, source: "tfjs codegen" },
  { workload: "W1", graft: "graft tfjs-cpu", peer: "tfjs cpu", source: "tfjs codegen" },
  { workload: "W1", graft: "graft js", peer: "jax-js wasm", source: "report" },
  { workload: "W1", graft: "graft tfjs-wasm", peer: "jax-js wasm", source: "tfjs codegen (report)" },
  { workload: "W1", graft: "graft js", peer: "plain JS", source: "report" },
  { workload: "W1", graft: "graft js", peer: "plain JS blocked", source: "report" },
  { workload: "W1", graft: "graft js 1-thread", peer: "tfjs wasm", source: "report (matmuls on one thread)" },
  { workload: "W1", graft: "graft js 1-thread", peer: "plain JS blocked", source: "report (matmuls on one thread)" },
  { workload: "W2", graft: "graft js", peer: "plain JS", kind: "within", x: 1.5, source: "JS codegen" },
  { workload: "W2", graft: "graft js", peer: "plain JS swap", source: "report" },
  { workload: "W3", graft: "graft js", peer: "plain JS", kind: "within", x: 1.2, source: "JS codegen" },
  { workload: "W1", graft: "graft wasm", peer: "jax-js wasm", kind: "faster", x: 2, source: "Wasm backend" },
  { workload: "W1", graft: "graft wasm 1-thread", peer: "jax-js wasm", source: "Wasm backend (report)" },
  { workload: "W1", graft: "graft wasm", peer: "graft js", source: "Wasm backend (report)" },
  { workload: "W2", graft: "graft wasm", peer: "jax-js wasm", kind: "within", x: 1, source: "Wasm backend" },
  { workload: "W2", graft: "graft wasm", peer: "graft js", source: "Wasm backend (report)" },
  { workload: "W3", graft: "graft wasm", peer: "jax-js wasm", kind: "faster", x: 1 / 0.7, source: "Wasm backend" },
  { workload: "W3", graft: "graft wasm", peer: "graft js", source: "Wasm backend (report)" },
  { workload: "W5", graft: "graft wasm", peer: "graft js", source: "Wasm backend (report: compile time)" },
];

/** Absolute compile-time targets of the Scale issue (medians in ms; W7's own targets are in its section). */
const MS_GOALS: { workload: string; graft: string; max: number; source: string }[] = [
  { workload: "W5", graft: "graft js", max: 30, source: "Scale: W1 compile" },
  { workload: "W5", graft: "graft js cached", max: 5, source: "Scale: cached W1 compile" },
];

const fmt = (speedup: number): string => (speedup >= 1 ? `${speedup.toFixed(2)}x faster` : `${(1 / speedup).toFixed(2)}x slower`);

function medianOf(results: WorkloadResult[], id: string, name: string): number | undefined {
  const c = results.find((w) => w.id === id)?.contenders.find((c) => c.name === name);
  return c && c.status !== "MISMATCH" && c.status !== "failed" ? c.median : undefined;
}

export function goalsSection(results: WorkloadResult[], peaks: Peaks): ExtraSection {
  const rows: string[][] = [];
  const data: unknown[] = [];
  for (const g of GOALS) {
    const a = medianOf(results, g.workload, g.graft);
    const b = medianOf(results, g.workload, g.peer);
    if (a === undefined || b === undefined) {
      // a target not measured is said; a report-only row whose contender did not run (e.g. --tiny) is left out
      if (g.kind && results.some((w) => w.id === g.workload)) rows.push([g.workload, `${g.graft} vs ${g.peer}`, "not measured", target(g), "—", g.source]);
      continue;
    }
    const speedup = b / a;
    const met = g.kind === "faster" ? speedup >= g.x! : g.kind === "within" ? 1 / speedup <= g.x! : undefined;
    rows.push([g.workload, `${g.graft} vs ${g.peer}`, fmt(speedup), target(g), met === undefined ? "—" : met ? "yes" : "**no**", g.source]);
    data.push({ ...g, graftMs: a, peerMs: b, speedup, met });
  }
  for (const g of MS_GOALS) {
    const m = medianOf(results, g.workload, g.graft);
    if (m === undefined) continue;
    rows.push([g.workload, g.graft, `${m.toFixed(2)} ms`, `<= ${g.max} ms`, m <= g.max ? "yes" : "**no**", g.source]);
    data.push({ ...g, ms: m, met: m <= g.max });
  }
  for (const w of results.filter((w) => w.id.startsWith("W4-") && !w.id.startsWith("W4-trap"))) {
    for (const name of ["graft js", "graft js 1-thread", "graft wasm", "graft wasm 1-thread", "plain JS blocked", "graft tfjs-wasm", "tfjs wasm"]) {
      const m = medianOf(results, w.id, name);
      const c = w.contenders.find((c) => c.name === name);
      if (m === undefined || !c || w.flops === undefined) continue;
      const gflops = w.flops / (m * 1e6);
      const peak = computePeak(c, peaks);
      const of = `${c.engine.includes("wasm") ? "wasm SIMD" : "scalar JS"} peak${c.threads > 1 ? ` x ${c.threads} threads` : ""}`;
      rows.push([w.id, name, `${gflops.toFixed(2)} GFLOP/s`, `${((100 * gflops) / peak).toFixed(0)}% of the ${of}`, "—", "report"]);
      data.push({ workload: w.id, contender: name, gflops, peakGflops: peak });
    }
  }
  return {
    id: "Targets",
    title: "the performance targets of the JS codegen and tfjs codegen issues",
    top: true,
    head: ["workload", "comparison", "measured", "target", "met", "from"],
    rows,
    notes: [
      "Speed-ups are peer median / graft median from the same interleaved run. \"report\" rows have no target; they say where graft stands.",
      "Wasm backend, where W1 falls short of 2x jax-js: a profile of the W1 step (fn option `profile: true`) puts ~80% of its time in the matmul kernels (forward products with their bias/relu epilogues, and the weight-gradient products whose epilogue is the Adam update) and ~8% in the softmax cross-entropy kernel; the epilogue is a second SIMD pass over the product rather than applied in registers, B is packed on every call, and under a competing load the per-kernel measured choice often keeps a product on one thread. W4 GFLOP/s percentages are only meaningful when the peak and the workload ran on an otherwise idle machine.",
    ],
    data,
  };
}

function target(g: Goal): string {
  if (g.kind === "faster") return `>= ${g.x}x faster`;
  if (g.kind === "within") return `within ${g.x}x`;
  return "—";
}
