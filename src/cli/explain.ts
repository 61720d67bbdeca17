/** @file `graft explain`: why each function traced, what the passes did, which ops fused (and why not), the memory plan, kernel statistics. */
import { fromJSON, sizeOf, type Graph } from "../ir/index.js";
import { STAGES } from "../passes/pipeline.js";
import fs from "node:fs";
import type { CompileRecord, ExecStats } from "../runtime/index.js";
import { reportDot, reportHtml } from "../runtime/report.js";
import { CliUsageError, type Parsed } from "./args.js";
import { dotToSvg } from "./svg.js";
import { readText, selectFn, selectSig, type DumpEntry } from "./dumpdir.js";
import { runDumped } from "./session.js";
import { cliOut, resolveScript } from "./script.js";

export const explainHelp = `graft explain — why it traced, what fused and why not, where memory goes

usage: graft explain script.ts [--fn NAME] [--sig N] [--verbose] [--html FILE] [-- script args]

Runs the script with dumping on and prints, for every trace of every compiled function:
  - why it (re)traced and its input signature;
  - node counts per stage, the passes that changed the graph, and what the backend runs
    (kernels, bytes held between steps);
  - the kernels of the fused stage: kind, member ops, bytes in and out;
  - the fusion decisions with their reasons (what fused, what did not and why);
  - the memory plan: arena size, peak bytes, in-place updates, state copies and why.

options:
  --fn NAME   only this function
  --sig N     only the N-th trace of each function
  --verbose   the memory plan value by value (where each buffer lives)
  --html FILE write one self-contained HTML page for one function's trace (the latest, or --sig N):
              IR per stage with diffs, the graph linked to your source lines, fusion decisions,
              the memory plan as a timeline, compile times (kernel times with fn's profile: true)`;

export const explainOptions = { fn: "value", sig: "value", verbose: "flag", html: "value" } as const;

const BYTES: Record<string, number> = { f32: 4, f64: 8, i32: 4, bool: 1 };
const bytesOf = (t: { dtype: string; shape: readonly number[] }): number => (BYTES[t.dtype] ?? 4) * sizeOf(t.shape);

/** "1.5 KiB" style sizes. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) (v /= 1024), u++;
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** The kernels of a fused-stage graph: regions with their members, plus ops that run alone. */
export function kernelTable(g: Graph): string[] {
  const rows: string[] = [];
  let regions = 0;
  let alone = 0;
  const byKind = new Map<string, number>();
  for (const n of g.nodes) {
    const inB = n.inputs.reduce((s, v) => s + bytesOf(v), 0);
    const outB = n.outputs.reduce((s, v) => s + bytesOf(v), 0);
    if (n.body) {
      const kind = String(n.attrs.kind ?? n.op);
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      const ops = n.body.nodes.map((b) => b.op);
      rows.push(`  kernel ${regions++} ${String(n.attrs.name ?? n.op)} (${kind}): ${ops.length} ops [${ops.join(" ")}], in ${fmtBytes(inB)}, out ${fmtBytes(outB)}`);
    } else if (n.op !== "const") {
      alone++;
      rows.push(`  op ${n.op}: in ${fmtBytes(inB)}, out ${fmtBytes(outB)}`);
    }
  }
  const kinds = [...byKind].map(([k, c]) => `${k} ${c}`).join(", ");
  return [`fused kernels: ${regions}${kinds ? ` (${kinds})` : ""}, unfused ops: ${alone}`, ...rows];
}

/** The report for one trace of one function. */
export function explainEntry(e: DumpEntry, verbose = false): string {
  const stats = JSON.parse(readText(e, e.stats)) as ExecStats;
  const lines = [
    `== ${e.stem} #${e.sig}  (backend ${e.backend})`,
    `traced: ${e.reason}`,
    `signature: ${e.signature}`,
    `nodes: ${STAGES.filter((s) => e.stages[s]).map((s) => `${s} ${e.stages[s]!.nodes}`).join(", ")}`,
    `backend: ${stats.kernels} kernels, ${fmtBytes(stats.bytes)} held between steps`,
  ];
  const fused = e.stages.fused;
  if (fused) lines.push(...kernelTable(fromJSON(readText(e, fused.json))));
  else lines.push("fused kernels: none (no fused stage: this pipeline does not fuse)");
  const section = (title: string, text: string): void => {
    const body = text.trimEnd().replace(new RegExp(`^${title}: `), "");
    lines.push(`${title}:`, ...body.split("\n").map((l) => `  ${l}`));
  };
  const changed = readText(e, e.passes).split("\n").map((l) => l.match(/^(\S+)\s+(\d+) -> (\d+)$/)).filter((m) => m && m[2] !== m[3]);
  if (changed.length) lines.push(`passes that changed the graph: ${changed.map((m) => `${m![1]} ${m![2]}->${m![3]}`).join(", ")}`);
  section("fusion decisions", readText(e, e.fusion));
  // the summary and the peak; the per-value placements only with --verbose (they are one line per value)
  const memory = readText(e, e.memory).trimEnd().split("\n");
  section("memory plan", (verbose ? memory : memory.filter((l) => !/^\s+%/.test(l))).join("\n"));
  return lines.join("\n");
}

/** `--html FILE`: the report page (src/runtime/report.ts) of one function's trace. */
async function writeHtml(file: string, entries: readonly DumpEntry[], records: readonly CompileRecord[]): Promise<number> {
  const stems = [...new Set(entries.map((e) => e.stem))];
  if (stems.length > 1) throw new CliUsageError(`--html writes one function's page; pick one with --fn (${stems.join(", ")})`, "explain");
  const e = entries.reduce((a, b) => (b.sig > a.sig ? b : a));
  const rec = records.find((r) => r.fnName === e.fn && r.sigIndex === e.sig && r.signature === e.signature);
  if (!rec) throw new CliUsageError(`no live record of ${e.stem} #${e.sig}`, "explain");
  let picture: { svg?: string; svgNote?: string };
  try {
    picture = { svg: await dotToSvg(reportDot(rec.stages)) };
  } catch (err) {
    picture = { svgNote: `No graph picture: ${err instanceof Error ? err.message : String(err)}` };
  }
  const html = reportHtml({ ...rec, ...picture });
  fs.writeFileSync(file, html);
  cliOut(`wrote ${file} (${rec.fnName} #${rec.sigIndex}, ${html.length} bytes)\n`);
  return 0;
}

export async function explainCommand(p: Parsed): Promise<number> {
  const script = resolveScript("explain", p.positional[0]);
  const s = await runDumped(script, { argv: p.rest });
  try {
    const entries = selectSig("explain", selectFn("explain", s.entries, p.options.fn as string | undefined), p.options.sig as string | undefined);
    if (typeof p.options.html === "string") return await writeHtml(p.options.html, entries, s.records);
    cliOut(entries.map((e) => explainEntry(e, !!p.options.verbose)).join("\n\n") + "\n");
    return 0;
  } finally {
    s.cleanup();
  }
}
