/** @file Bench report: RESULTS.md (tables), results.json (raw), ratios.svg (speed vs baseline, log scale). */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { type ContenderResult, ratioToBaseline, type WorkloadResult } from "./harness.js";
import type { Peaks } from "./peaks.js";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  packages: Record<string, string>;
  date: string;
  /** os.loadavg() when the report was written (1, 5, 15 minutes): other processes on a shared machine */
  loadAvg?: number[];
}

const PACKAGES = ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "@jax-js/jax", "tsx", "typescript"];

export function machineInfo(): MachineInfo {
  const require = createRequire(import.meta.url);
  const packages: Record<string, string> = {};
  for (const p of PACKAGES) {
    try {
      // Read package.json from the package's folder (exports maps may hide "./package.json").
      const entry = require.resolve(p);
      let dir = path.dirname(entry);
      while (!dir.endsWith(path.join("node_modules", ...p.split("/"))) && dir !== path.dirname(dir)) {
        dir = path.dirname(dir);
      }
      packages[p] = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
    } catch {
      packages[p] = "?";
    }
  }
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "?",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    packages,
    date: new Date().toISOString(),
    loadAvg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** A table that is not a timed workload (compile phases, memory), appended after the workloads. */
export interface ExtraSection {
  id: string;
  title: string;
  head: string[];
  rows: string[][];
  /** paragraphs under the table */
  notes?: string[];
  /** raw numbers for results.json */
  data?: unknown;
  /** render right after the summary instead of after the workloads */
  top?: boolean;
}

export interface Report {
  machine: MachineInfo;
  peaks: Peaks;
  mode: string;
  results: WorkloadResult[];
  sections?: ExtraSection[];
}

/** The compute peak a contender is held to: wasm SIMD for wasm engines, scalar JS otherwise; times its threads. */
export function computePeak(c: { engine: string; threads?: number }, peaks: Peaks): number {
  return (c.engine.includes("wasm") ? peaks.wasmSimdGflops : peaks.jsGflops) * (c.threads ?? 1);
}

/** The bandwidth a streaming kernel is held to: the better of memcpy and the JS triad. */
function bandwidthPeak(peaks: Peaks): number {
  return Math.max(peaks.copyGBs, peaks.triadGBs);
}

export function formatRatio(r: number | undefined, isBaseline: boolean): string {
  if (isBaseline) return "baseline";
  if (r === undefined) return "—";
  return r >= 1 ? `${r.toFixed(2)}x slower` : `${(1 / r).toFixed(2)}x faster`;
}

function fmtMs(x: number | undefined): string {
  if (x === undefined) return "—";
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
}

function checkText(c: ContenderResult): string {
  const d = c.maxAbsDiff !== undefined ? c.maxAbsDiff.toExponential(1) : "?";
  switch (c.status) {
    case "reference":
      return "reference";
    case "ok":
      return `ok (max abs diff ${d})`;
    case "MISMATCH":
      return `**MISMATCH** (max abs diff ${d}; ${c.reason ?? ""})`;
    case "skipped":
    case "failed":
      return `${c.status}: ${c.reason ?? ""}`;
    default:
      return c.status satisfies never;
  }
}

function workloadTable(w: WorkloadResult, peaks: Peaks): string[] {
  const lines: string[] = [];
  const rate = w.flops !== undefined ? "GFLOP/s" : w.bytes !== undefined ? "GB/s" : undefined;
  const peakCol = w.flops !== undefined ? "% of peak" : w.bytes !== undefined ? "% of copy BW" : undefined;
  const head = ["contender", "engine", "median ms", "min ms"];
  if (rate) head.push(rate, peakCol!);
  head.push(`vs ${w.baseline}`, "check");
  lines.push(`| ${head.join(" | ")} |`);
  lines.push(`|${head.map((h, i) => (i >= 2 && i < head.length - 1 ? "---:" : "---")).join("|")}|`);
  for (const c of w.contenders) {
    const row = [c.name, (c.threads ?? 1) > 1 ? `${c.engine} x${c.threads}` : c.engine, fmtMs(c.median), fmtMs(c.min)];
    if (rate) {
      if (c.median === undefined) row.push("—", "—");
      else if (w.flops !== undefined) {
        const g = w.flops / (c.median * 1e6);
        row.push(g.toFixed(2), `${((100 * g) / computePeak(c, peaks)).toFixed(0)}%`);
      } else {
        const g = w.bytes! / (c.median * 1e6);
        row.push(g.toFixed(2), `${((100 * g) / bandwidthPeak(peaks)).toFixed(0)}%`);
      }
    }
    row.push(formatRatio(ratioToBaseline(w, c), c.name === w.baseline), checkText(c));
    lines.push(`| ${row.join(" | ")} |`);
  }
  return lines;
}

export function renderMarkdown(r: Report): string {
  const { machine: m, peaks: p } = r;
  const out: string[] = [];
  out.push("# graft benchmark results", "");
  out.push(
    `Generated by \`npm run bench${r.mode === "full" ? "" : ` -- --${r.mode}`}\` on ${m.date}. ` +
      "Medians of interleaved rounds (one run of each contender per round, start rotated) after warm-up. " +
      "Machines are noisy: read the ratios, not the absolute times.",
    "",
  );
  out.push("## Machine", "");
  out.push(`- CPU: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}`);
  if (m.loadAvg) out.push(`- Load average at the end of the run (1/5/15 min): ${m.loadAvg.join(" / ")} on ${m.cores} cores`);
  out.push(`- Node ${m.node}; ${Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  out.push(
    "- Every peer runs single-threaded: tfjs-wasm has no thread pool here (no cross-origin isolation), " +
      "jax-js only spawns workers where a `Worker` global exists (not in Node). graft js splits big matmuls over " +
      "min(2, cores) threads by default (engine `js x2`, held to twice the one-thread peak); `graft js 1-thread` is the same step on one.",
    "",
  );
  out.push("## Measured peaks (same process, single thread)", "");
  out.push("| probe | value |", "|---|---:|");
  out.push(`| scalar JS multiply-add (8 independent f64 chains) | ${p.jsGflops.toFixed(2)} GFLOP/s |`);
  out.push(`| wasm SIMD f32x4.mul + f32x4.add (hand-assembled, 12 v128 chains) | ${p.wasmSimdGflops.toFixed(2)} GFLOP/s |`);
  out.push(`| Float32Array copy (\`set\`), ${(p.bandwidthElements * 4) / 2 ** 20} MiB | ${p.copyGBs.toFixed(2)} GB/s |`);
  out.push(`| Float32Array triad a = b + s*c | ${p.triadGBs.toFixed(2)} GB/s |`);
  out.push("");
  out.push(
    "GFLOP/s rows are held to the wasm SIMD peak for wasm engines and to the scalar JS peak for JS engines (times the threads); " +
      "GB/s rows to the copy (memcpy) bandwidth. A check compares `result()` with the first contender's: it passes when " +
      "every |x - ref| <= tolerance * max(1, |ref|). Ratios are median / baseline median.",
    "",
  );
  out.push("## Summary", "");
  out.push("| workload | baseline | " + "others vs baseline |", "|---|---|---|");
  for (const w of r.results) {
    const others = w.contenders
      .filter((c) => c.name !== w.baseline)
      .map((c) => `${c.name}: ${c.median !== undefined && c.status !== "MISMATCH" ? formatRatio(ratioToBaseline(w, c), false) : c.status}`);
    const b = w.contenders.find((c) => c.name === w.baseline);
    out.push(`| ${w.id} | ${w.baseline} (${fmtMs(b?.median)} ms) | ${others.join("; ")} |`);
  }
  out.push("", "![speed vs baseline](ratios.svg)", "");
  for (const x of (r.sections ?? []).filter((x) => x.top)) out.push(...sectionLines(x));
  for (const w of r.results) {
    out.push(`## ${w.id}: ${w.title}`, "");
    const facts = [`${w.rounds} rounds`, `tolerance ${w.tolerance}`];
    if (w.flops !== undefined) facts.push(`${(w.flops / 1e6).toFixed(1)} MFLOP per run`);
    if (w.bytes !== undefined) facts.push(`${(w.bytes / 2 ** 20).toFixed(2)} MiB moved per run`);
    if (w.baselineRequested !== w.baseline) facts.push(`requested baseline "${w.baselineRequested}" did not run`);
    out.push(facts.join(", ") + ".", "");
    out.push(...workloadTable(w, p), "");
    if (w.note) out.push(w.note, "");
    const notes = w.contenders.filter((c) => c.note).map((c) => `- ${c.name}: ${c.note}`);
    if (notes.length) out.push(...notes, "");
  }
  for (const x of (r.sections ?? []).filter((x) => !x.top)) out.push(...sectionLines(x));
  return out.join("\n");
}

function sectionLines(x: ExtraSection): string[] {
  const out = [`## ${x.id}: ${x.title}`, ""];
  out.push(`| ${x.head.join(" | ")} |`, `|${x.head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`);
  for (const row of x.rows) out.push(`| ${row.join(" | ")} |`);
  out.push("", ...(x.notes ?? []).flatMap((n) => [n, ""]));
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Horizontal bars of log2(speed-up vs baseline): right of the 1x line is faster, left is slower. */
export function renderSvg(results: WorkloadResult[]): string {
  const W = 960;
  const labelW = 300;
  const plotL = labelW + 10;
  const plotR = W - 110;
  const rowH = 18;
  const headH = 24;
  let maxLog = 1;
  for (const w of results) {
    for (const c of w.contenders) {
      const r = ratioToBaseline(w, c);
      if (r !== undefined && r > 0) maxLog = Math.max(maxLog, Math.ceil(Math.abs(Math.log2(r))));
    }
  }
  const x0 = (plotL + plotR) / 2;
  const scale = (plotR - plotL) / 2 / maxLog;
  const xOf = (log2: number) => x0 + log2 * scale;
  const palette: Record<string, string> = { js: "#4e79a7", wasm: "#f28e2b" };
  const body: string[] = [];
  let y = 40;
  for (const w of results) {
    body.push(`<text x="8" y="${y + 16}" font-weight="bold">${esc(`${w.id}: ${w.title}`).slice(0, 120)}</text>`);
    y += headH;
    for (const c of w.contenders) {
      const r = ratioToBaseline(w, c);
      const label = `${c.name}${c.name === w.baseline ? " (baseline)" : ""}`;
      body.push(`<text x="${labelW}" y="${y + 13}" text-anchor="end">${esc(label)}</text>`);
      if (r === undefined || !(r > 0)) {
        const why = c.status === "MISMATCH" ? "MISMATCH" : c.status === "reference" || c.status === "ok" ? "no time" : c.status;
        body.push(`<text x="${x0 + 4}" y="${y + 13}" fill="#c00">${esc(why)}</text>`);
      } else {
        const lg = -Math.log2(r); // speed-up: positive = faster than baseline
        const a = xOf(Math.min(0, lg));
        const b = xOf(Math.max(0, lg));
        const color = palette[c.engine.includes("wasm") ? "wasm" : "js"] ?? "#999";
        body.push(
          `<rect x="${a.toFixed(1)}" y="${y + 3}" width="${Math.max(1, b - a).toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`,
        );
        const txt = c.name === w.baseline ? "1x" : formatRatio(r, false);
        // Labels of slower bars sit right of the 1x line, so they never run into the names.
        const tx = lg >= 0 ? b + 4 : x0 + 4;
        body.push(`<text x="${tx.toFixed(1)}" y="${y + 13}" font-size="11">${esc(txt)}</text>`);
      }
      y += rowH;
    }
    y += 8;
  }
  const H = y + 30;
  const axis: string[] = [];
  for (let k = -maxLog; k <= maxLog; k++) {
    const x = xOf(k).toFixed(1);
    axis.push(`<line x1="${x}" y1="34" x2="${x}" y2="${H - 24}" stroke="${k === 0 ? "#333" : "#ddd"}"/>`);
    const t = k === 0 ? "1x" : k > 0 ? `${2 ** k}x faster` : `${2 ** -k}x slower`;
    axis.push(`<text x="${x}" y="${H - 10}" text-anchor="middle" font-size="10">${t}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">Speed vs each workload's baseline (median times, log2 scale; blue = JS engine, orange = wasm)</text>`,
    ...axis,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/** Write RESULTS.md, results.json and ratios.svg into `dir`; returns their paths. */
export function writeReport(dir: string, r: Report): { markdown: string; json: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const markdown = path.join(dir, "RESULTS.md");
  const json = path.join(dir, "results.json");
  const svg = path.join(dir, "ratios.svg");
  writeFileSync(markdown, renderMarkdown(r));
  writeFileSync(json, JSON.stringify(r, null, 2) + "\n");
  writeFileSync(svg, renderSvg(r.results));
  return { markdown, json, svg };
}
