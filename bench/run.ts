/** @file `npm run bench [-- --quick | --tiny] [--only W1,W3] [--out DIR] [--contenders MODULE]`. */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import os from "node:os";
import { ratioToBaseline, runWorkloads, type WorkloadResult } from "./harness.js";
import { measurePeaks, type Peaks } from "./peaks.js";
import { type ExtraSection, formatRatio, machineInfo, writeReport } from "./report.js";
import { buildWorkloads, type ExtraContenders, type SizeMode } from "./workloads.js";

const here = path.dirname(fileURLToPath(import.meta.url));

interface Args {
  mode: SizeMode;
  only?: string[];
  /** default: bench/ itself; for --tiny a temp folder, so a smoke run never overwrites real results */
  out?: string;
  contenders?: string;
  baseline?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mode: "full" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--quick") args.mode = "quick";
    else if (a === "--tiny") args.mode = "tiny";
    else if (a === "--only") args.only = value().split(",").map((s) => s.trim()).filter(Boolean);
    else if (a === "--out") args.out = path.resolve(value());
    else if (a === "--contenders") args.contenders = path.resolve(value());
    else if (a === "--baseline") args.baseline = value();
    else if (a === "--help" || a === "-h") {
      process.stdout.write(
        "usage: tsx bench/run.ts [--quick|--tiny] [--only W1,W4-512] [--out DIR] [--contenders MODULE] [--baseline NAME]\n",
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/**
 * Extra contenders (graft) come from a module exporting `contenders: ExtraContenders` (or a
 * function `contenders(mode)` returning them) and optionally `baseline: string`. Loaded from
 * --contenders, else from bench/graft.ts when that file exists.
 */
/** Extra tables: `only` is --only's list (a section runs when it is absent or names the section's id). */
type SectionsFn = (opts: {
  mode: SizeMode;
  only?: string[];
  log: (line: string) => void;
  results: WorkloadResult[];
  peaks: Peaks;
}) => Promise<ExtraSection[]> | ExtraSection[];

async function loadExtra(args: Args): Promise<{ extra: ExtraContenders; baseline?: string; sections?: SectionsFn }> {
  const file = args.contenders ?? path.join(here, "graft.ts");
  if (!existsSync(file)) {
    if (args.contenders) throw new Error(`--contenders ${file}: no such file`);
    return { extra: {} };
  }
  const mod = (await import(pathToFileURL(file).href)) as {
    contenders?: ExtraContenders | ((mode: SizeMode) => ExtraContenders | Promise<ExtraContenders>);
    baseline?: string;
    /** extra report tables (not timed workloads), computed after the workloads */
    sections?: SectionsFn;
  };
  const c = mod.contenders;
  const extra = typeof c === "function" ? await c(args.mode) : (c ?? {});
  return { extra, baseline: mod.baseline, sections: mod.sections };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const { extra, baseline, sections: makeSections } = await loadExtra(args);
  const quick = args.mode !== "full";
  process.stderr.write(`bench: mode ${args.mode}; measuring peaks...\n`);
  const peaks = await measurePeaks({ quick, tiny: args.mode === "tiny" });
  process.stderr.write(
    `peaks: js ${peaks.jsGflops.toFixed(2)} GFLOP/s, wasm simd ${peaks.wasmSimdGflops.toFixed(2)} GFLOP/s, ` +
      `copy ${peaks.copyGBs.toFixed(2)} GB/s, triad ${peaks.triadGBs.toFixed(2)} GB/s\n`,
  );
  const workloads = buildWorkloads(extra, { mode: args.mode, only: args.only, baseline: args.baseline ?? baseline });
  const results = await runWorkloads(workloads, {
    quick,
    repeats: args.mode === "tiny" ? 1 : undefined,
    warmup: args.mode === "tiny" ? 1 : undefined,
    progress: true,
  });
  const log = (line: string) => process.stderr.write(line + "\n");
  const sections = makeSections ? await makeSections({ mode: args.mode, only: args.only, log, results, peaks }) : [];
  const out = args.out ?? (args.mode === "tiny" ? path.join(os.tmpdir(), "graft-bench-tiny") : here);
  const files = writeReport(out, { machine: machineInfo(), peaks, mode: args.mode, results, sections });

  for (const w of results) {
    const cells = w.contenders.map((c) => {
      const t = c.median !== undefined ? `${c.median.toFixed(2)} ms` : c.status;
      const r = c.median !== undefined ? formatRatio(ratioToBaseline(w, c), c.name === w.baseline) : "";
      const bad = c.status === "MISMATCH" ? " MISMATCH" : "";
      return `${c.name} ${t}${r ? ` (${r})` : ""}${bad}`;
    });
    process.stdout.write(`${w.id}: ${cells.join(" | ")}\n`);
  }
  process.stdout.write(`wrote ${files.markdown}, ${files.json}, ${files.svg} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const bad = results.flatMap((w) => w.contenders.filter((c) => c.status === "MISMATCH").map((c) => `${w.id}/${c.name}`));
  if (bad.length) {
    process.stderr.write(`MISMATCH: ${bad.join(", ")}\n`);
    process.exitCode = 1;
  }
}

await main();
