/** @file One self-contained HTML page about a compiled step: IR per stage with diffs, the graph linked to source lines, fusion, memory timeline, compile and kernel times. */
import { Namer, print, sizeOf, typeStr, type Graph, type Value } from "../ir/index.js";
import { toDot } from "../ir/dot.js";
import { nodeBuiltin } from "../ir/platform.js";
import { STAGES, type StageName, type Stages } from "../passes/pipeline.js";
import { planMemory } from "../passes/memory.js";
import { fuse } from "../passes/fuse.js";
import type { Executable } from "./backend.js";
import { fusionText, loweringFor, passesText } from "./dump-text.js";

export interface ReportInput {
  readonly fnName: string;
  readonly backend: string;
  readonly signature: string;
  readonly reason: string;
  readonly stages: Stages;
  readonly exec: Executable;
  /** Milliseconds per compile phase (traced, grad, optimized, fused, codegen). */
  readonly compileMs?: Readonly<Record<string, number>>;
  /** The fused stage drawn by Graphviz (an SVG document); see `reportDot`. */
  readonly svg?: string;
  /** Why there is no picture (Graphviz missing, ...). */
  readonly svgNote?: string;
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** The in-page anchor of a user's source line ("model.ts:12" -> "src-model.ts-12"); ids keep only safe characters. */
export const srcAnchor = (loc: string): string => `src-${loc.replace(/[^A-Za-z0-9_.-]/g, "-")}`;
const LOC = /\/\/ (\S+):(\d+)$/;

/** The fused stage's DOT with each op linked to its source line (Graphviz turns `href` into SVG links). */
export function reportDot(stages: Stages): string {
  const g = stages.fused ?? stages.optimized ?? stages.traced;
  return toDot(g).replace(/tooltip="([^"]+:\d+)"/g, (m, loc: string) => `${m}, href="#${srcAnchor(loc)}", target="_self"`);
}

/**
 * Line diff (longest common subsequence) of two IR printouts: "  " kept, "- " removed, "+ " added.
 * O(n*m) table: printouts past 2,500 x 2,500 lines give a note instead.
 */
export function lineDiff(a: readonly string[], b: readonly string[]): string[] {
  const n = a.length;
  const m = b.length;
  if (n * m > 6_250_000) return [`(too large to diff: ${n} and ${m} lines)`];
  const L = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i * (m + 1) + j] = a[i] === b[j] ? L[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(L[(i + 1) * (m + 1) + j]!, L[i * (m + 1) + j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) out.push(`  ${a[i++]}`), j++;
    else if (j < m && (i === n || L[i * (m + 1) + j + 1]! >= L[(i + 1) * (m + 1) + j]!)) out.push(`+ ${b[j++]}`);
    else out.push(`- ${a[i++]}`);
  }
  return out;
}

/** IR text with each `// file:line` comment turned into a link to the source section. */
function irHtml(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const m = LOC.exec(line);
      if (!m) return esc(line);
      const loc = `${m[1]}:${m[2]}`;
      return `${esc(line.slice(0, m.index))}<a class="loc" href="#${srcAnchor(loc)}">// ${esc(loc)}</a>`;
    })
    .join("\n");
}

function diffHtml(prev: Graph, next: Graph): string {
  const d = lineDiff(print(prev, { locs: false }).split("\n"), print(next, { locs: false }).split("\n"));
  const changed = d.filter((l) => l[0] !== " ").length;
  const body = d.map((l) => `<span class="${l[0] === "+" ? "add" : l[0] === "-" ? "del" : "same"}">${esc(l)}</span>`).join("\n");
  return `<details><summary>diff from the previous stage (${changed} lines changed)</summary><pre class="diff">${body}</pre></details>`;
}

/** The user's source lines that the IR points at (with 2 lines of context), read from disk where there is one. */
function sourcesHtml(locs: ReadonlySet<string>): string {
  const fs = nodeBuiltin("node:fs");
  const byFile = new Map<string, Set<number>>();
  for (const loc of locs) {
    const k = loc.lastIndexOf(":");
    const set = byFile.get(loc.slice(0, k)) ?? byFile.set(loc.slice(0, k), new Set()).get(loc.slice(0, k))!;
    set.add(Number(loc.slice(k + 1)));
  }
  const parts: string[] = [];
  for (const [file, lines] of byFile) {
    let text: string[] | undefined;
    try {
      text = fs?.readFileSync(file, "utf8").split("\n");
    } catch {
      text = undefined; // not readable from here (a bundle URL, a moved file): anchors without the text
    }
    const show = new Set<number>();
    for (const l of lines) for (let k = l - 2; k <= l + 2; k++) if (k >= 1 && (!text || k <= text.length) && (text || k === l)) show.add(k);
    const rows = [...show].sort((x, y) => x - y).map((k, idx, all) => {
      const gap = idx > 0 && k !== all[idx - 1]! + 1 ? `<tr class="gap"><td></td><td>…</td></tr>` : "";
      const hit = lines.has(k);
      const id = hit ? ` id="${srcAnchor(`${file}:${k}`)}"` : "";
      return `${gap}<tr${id} class="${hit ? "hit" : ""}"><td class="ln">${k}</td><td><code>${text ? esc(text[k - 1] ?? "") : "(source not available)"}</code></td></tr>`;
    });
    parts.push(`<h3>${esc(file)}</h3><table class="src">${rows.join("")}</table>`);
  }
  return parts.join("\n") || "<p>No source locations were recorded.</p>";
}

/** Every value's buffer as a bar from the kernel that writes it to its last reader, one row per arena slot. */
function memoryHtml(g: Graph): string {
  const plan = planMemory(g);
  const names = new Namer(g);
  const last = new Map<Value, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((v) => last.set(v, i)));
  for (const v of g.outputs) last.set(v, g.nodes.length);
  for (const a of g.assigns) last.set(a.value, g.nodes.length);
  const W = 16;
  const H = 16;
  const bars: string[] = [];
  let rows = 0;
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      const pl = plan.placements.get(o);
      if (!pl || !("slot" in pl)) continue;
      rows = Math.max(rows, pl.slot + 1);
      const end = Math.max(i, last.get(o) ?? i);
      const bytes = (o.dtype === "f64" ? 8 : o.dtype === "bool" ? 1 : 4) * sizeOf(o.shape);
      const tip = `${names.name(o)}: ${typeStr(o.type)} (${bytes} bytes), ${pl.how} in slot ${pl.slot}, live over kernels ${i}..${end}`;
      bars.push(`<rect class="${pl.how}" x="${i * W}" y="${pl.slot * H}" width="${(end - i + 1) * W - 2}" height="${H - 3}"><title>${esc(tip)}</title></rect>`);
    }
  });
  const width = (g.nodes.length + 1) * W;
  const svg = `<svg class="mem" width="${width}" height="${rows * H + 4}" viewBox="0 0 ${width} ${rows * H + 4}">${bars.join("")}</svg>`;
  return `<p>Arena ${plan.arenaBytes} bytes in ${plan.slots.length} slots (each value in its own buffer: ${plan.unplannedBytes}); peak live ${plan.peakBytes} bytes;
${plan.inPlace} kernel outputs in place; ${plan.stateInPlace}/${g.assigns.length} state updates in place. x: kernels in order; y: slots; hover a bar for its value.
<span class="key new">new</span> <span class="key reuse">reused</span> <span class="key in-place">in place</span></p><div class="scroll">${svg}</div>`;
}

function barsTable(rows: readonly [string, number][], unit: string): string {
  const max = Math.max(1e-9, ...rows.map(([, v]) => v));
  return `<table class="bars">${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td class="num">${v.toFixed(2)} ${unit}</td><td><div class="bar" style="width:${Math.round((300 * v) / max)}px"></div></td></tr>`).join("")}</table>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#1f2937;max-width:1200px}h1{font-size:1.4em}h2{margin-top:1.6em;border-bottom:1px solid #e5e7eb}
pre{background:#f8fafc;border:1px solid #e5e7eb;padding:.6em;overflow:auto;max-height:520px;font:12px/1.35 ui-monospace,monospace}
.diff .add{background:#dcfce7}.diff .del{background:#fee2e2}.diff .same{color:#6b7280}a.loc{color:#2563eb}nav a{margin-right:.8em}
table.src{border-collapse:collapse;font:12px ui-monospace,monospace}table.src td{padding:0 .6em}tr.hit{background:#fef9c3}tr:target{background:#fde047;outline:2px solid #ca8a04}.ln{color:#9ca3af;text-align:right}
.scroll{overflow:auto;max-width:100%}svg.mem rect.new{fill:#60a5fa}svg.mem rect.reuse{fill:#34d399}svg.mem rect.in-place{fill:#f59e0b}
.key{padding:0 .4em;border-radius:3px}.key.new{background:#60a5fa}.key.reuse{background:#34d399}.key.in-place{background:#f59e0b}
table.bars td{padding:1px .5em}.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}table.src code{white-space:pre}.bar{height:10px;background:#6366f1}.graph svg{max-width:100%;height:auto}`;

/** The page (a string: write it anywhere, open it offline; it loads nothing). */
export function reportHtml(r: ReportInput): string {
  const stats = r.exec.stats();
  const stages = STAGES.filter((s): s is StageName => !!r.stages[s]);
  const locs = new Set<string>();
  for (const s of stages) for (const line of print(r.stages[s]!).split("\n")) {
    const m = LOC.exec(line);
    if (m) locs.add(`${m[1]}:${m[2]}`);
  }
  const lw = loweringFor(r.stages);
  const stageHtml = stages.map((s, i) => {
    const g = r.stages[s]!;
    const prev = i > 0 ? r.stages[stages[i - 1]!] : undefined;
    return `<h3 id="stage-${s}">${s} (${g.nodes.length} nodes)</h3><pre class="ir">${irHtml(print(g))}</pre>${prev ? diffHtml(prev, g) : ""}`;
  });
  const compile = r.compileMs ? barsTable(Object.entries(r.compileMs), "ms") : "<p>Not recorded.</p>";
  const kernels = stats.profile?.length
    ? barsTable(stats.profile.map((p) => [`${p.kernel} (${p.calls} calls)${p.loc ? ` ${p.loc}` : ""}`, p.ms]), "ms")
    : `<p>No kernel times: compile with <code>fn(step, { profile: true })</code> (js backend) and run the step before the report.</p>`;
  const picture = r.svg ? `<div class="graph">${r.svg.replace(/^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?/, "")}</div>` : `<p>${esc(r.svgNote ?? "No graph picture.")}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>graft report: ${esc(r.fnName)}</title><style>${CSS}</style></head><body>
<h1>graft report: <code>${esc(r.fnName)}</code></h1>
<p>backend <b>${esc(r.backend)}</b> · signature <code>${esc(r.signature)}</code> · traced because: ${esc(r.reason)} · ${stats.kernels} kernels · ${stats.bytes} bytes held between steps</p>
<nav>${stages.map((s) => `<a href="#stage-${s}">${s}</a>`).join("")}<a href="#graph">graph</a><a href="#fusion">fusion</a><a href="#memory">memory</a><a href="#times">times</a><a href="#sources">sources</a></nav>
<h2>IR by stage</h2>${stageHtml.join("\n")}
<h2 id="graph">Graph (fused stage)</h2><p>Each op links to the line of your code that created it.</p>${picture}
<h2 id="fusion">Fused kernels and fusion decisions</h2><pre>${esc(fusionText(lw, fuse.name))}</pre><details><summary>passes</summary><pre>${esc(passesText(lw, fuse.name))}</pre></details>
<h2 id="memory">Memory plan</h2>${r.stages.fused ? memoryHtml(r.stages.fused) : "<p>No fused stage, so no plan.</p>"}
<h2 id="times">Compile times</h2>${compile}<h3>Kernel times</h3>${kernels}
<h2 id="sources">Sources</h2>${sourcesHtml(locs)}
</body></html>
`;
}

// not a literal: bundlers must not try to include Graphviz (an optional package) in graft's core
const GRAPHVIZ = "@hpcc-js/wasm-graphviz";
let graphviz: Promise<{ dot(dot: string, format: "svg"): string }> | undefined;

/** The report's graph picture, drawn by Graphviz (WebAssembly) when it can be loaded; else a note saying why not. */
export async function reportSvg(stages: Stages): Promise<{ svg?: string; svgNote?: string }> {
  try {
    graphviz ??= (import(/* @vite-ignore */ GRAPHVIZ) as Promise<typeof import("@hpcc-js/wasm-graphviz")>).then((m) => m.Graphviz.load());
    return { svg: (await graphviz).dot(reportDot(stages), "svg") };
  } catch (e) {
    graphviz = undefined;
    return { svgNote: `No graph picture: it needs the optional package ${GRAPHVIZ} (npm install ${GRAPHVIZ}); ${String(e).split("\n")[0]}` };
  }
}
