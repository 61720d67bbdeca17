/** @file `graft dump`: run a script with dumping on, then print or write the stages asked for, as text, JSON, DOT or SVG. */
import fs from "node:fs";
import path from "node:path";
import { STAGES, type StageName } from "../passes/pipeline.js";
import { CliUsageError, oneOf, type Parsed } from "./args.js";
import { latestPerFn, readText, selectFn, selectSig, stagesOf, type DumpEntry } from "./dumpdir.js";
import { runDumped } from "./session.js";
import { resolveScript, cliOut } from "./script.js";
import { dotToSvg } from "./svg.js";

export const FORMATS = ["text", "json", "dot", "svg"] as const;
export type Format = (typeof FORMATS)[number];
/** What `--stage` accepts: a pipeline stage, the generated code, or every stage. */
export const DUMP_STAGES = [...STAGES, "source", "all"] as const;
type DumpStage = (typeof DUMP_STAGES)[number];

export const dumpHelp = `graft dump — run a script with dumping on and show what it compiled

usage: graft dump script.ts [options] [-- script args]

options:
  --fn NAME        only this function (fn's \`name\` option, or the step function's name)
  --stage STAGE    ${DUMP_STAGES.join(" | ")}
                   (default: all for text; the last stage for json, dot and svg)
  --sig N          only the N-th trace of each function (default: all for text and --out;
                   the latest for json, dot and svg printed to stdout)
  --format FMT     ${FORMATS.join(" | ")} (default text)
  --out DIR        write files into DIR instead of printing; without --stage/--format/--fn
                   it writes the whole dump (as GRAFT_DUMP=DIR would)
  --passes         also dump the graph after every pass (GRAFT_DUMP_PASSES=1); text
                   output prints them after the grad stage they start from

Text output prints each graph after a header line \`// <fn> #<sig> <stage>: <why it traced>\`.
JSON printed to stdout is one graft-ir document (ir.fromJSON reads it) when one graph is
selected, else an array of {fn, sig, stage, graph}. DOT and SVG print exactly one graph:
narrow it with --fn/--stage/--sig, or use --out. The script's own output goes to stderr.

Files (--out DIR, or GRAFT_DUMP=DIR), per function and trace, named to sort in order:
  <fn>.s<NN>.00-reason.txt              why it (re)traced; signature, inputs, state
  <fn>.s<NN>.0<k>-<stage>.{ir,json,dot}  01-traced 02-grad 03-optimized 04-fused
  <fn>.s<NN>.02-grad.p<MM>-<pass>.ir    the graph after each pass (--passes)
  <fn>.s<NN>.05-source-<backend>.js     the generated code
  <fn>.s<NN>.06-passes.txt  07-fusion.txt  08-memory.txt  09-stats.json
  <fn>.s<NN>.inputs.json  info.json     example inputs and state; the manifest

In pictures: ops are labelled op, dtype and shape; fused kernels are clusters; nodes autodiff
made are red (class "grad"); state updates are orange "assign" nodes with a dashed edge back
to the state they update.`;

export const dumpOptions = { fn: "value", stage: "value", sig: "value", format: "value", out: "value", passes: "flag" } as const;

const fileOf = (e: DumpEntry, stage: StageName, fmt: "ir" | "json" | "dot"): string => e.stages[stage]![fmt];

export async function dumpCommand(p: Parsed): Promise<number> {
  const script = resolveScript("dump", p.positional[0]);
  const format = oneOf("dump", "format", (p.options.format as string | undefined) ?? "text", FORMATS);
  const stageOpt = p.options.stage === undefined ? undefined : oneOf("dump", "stage", p.options.stage as string, DUMP_STAGES);
  if (stageOpt === "source" && format !== "text") throw new CliUsageError(`--stage source is code, not a graph: use --format text`, "dump");
  const out = p.options.out as string | undefined;
  const s = await runDumped(script, { argv: p.rest, passes: !!p.options.passes });
  try {
    let entries = selectSig("dump", selectFn("dump", s.entries, p.options.fn as string | undefined), p.options.sig as string | undefined);
    const whole = out && p.options.stage === undefined && p.options.format === undefined && p.options.fn === undefined && p.options.sig === undefined;
    if (whole) return copyAll(s.dir, out!), 0;
    const single = format !== "text" && !out;
    if (single && p.options.sig === undefined) entries = latestPerFn(entries);
    const picks = entries.flatMap((e) => pickStages(e, stageOpt ?? (format === "text" ? "all" : "last")).map((stage) => ({ e, stage })));
    if (!picks.length) throw new CliUsageError(`no stage '${stageOpt}' in the selected functions (they have: ${[...new Set(entries.flatMap(stagesOf))].join(", ")})`, "dump");
    if (out) {
      fs.mkdirSync(out, { recursive: true });
      for (const { e, stage } of picks) cliOut(path.join(out, await writeOne(e, stage, format, out)) + "\n");
      return 0;
    }
    if (format === "text") {
      const header = (e: DumpEntry, what: string): string => `// ${e.stem} #${e.sig} ${what}: ${e.reason}\n`;
      const texts = picks.flatMap(({ e, stage }) => {
        if (stage === "source") return [header(e, stage) + readText(e, e.source)];
        const own = header(e, stage) + readText(e, fileOf(e, stage, "ir"));
        // with --passes, the graph after each pass follows the grad stage it starts from
        const after = stage === "grad" && p.options.passes ? e.afterPass.map((f) => header(e, `after ${f.slice(e.prefix.length).replace(/^02-grad\.p(\d+)-(.*)\.ir$/, "pass $1 $2")}`) + readText(e, f)) : [];
        return [own, ...after];
      });
      cliOut(texts.join("\n"));
      return 0;
    }
    if (format === "json") {
      const doc = (e: DumpEntry, st: StageName): unknown => JSON.parse(readText(e, fileOf(e, st, "json")));
      const value = picks.length === 1 ? doc(picks[0]!.e, picks[0]!.stage as StageName) : picks.map(({ e, stage }) => ({ fn: e.stem, sig: e.sig, stage, graph: doc(e, stage as StageName) }));
      cliOut(JSON.stringify(value, null, 1) + "\n");
      return 0;
    }
    if (picks.length > 1) {
      throw new CliUsageError(`--format ${format} prints one graph, ${picks.length} are selected (${picks.map(({ e, stage }) => `${e.stem} #${e.sig} ${stage}`).join(", ")}); narrow it with --fn/--stage/--sig or use --out DIR`, "dump");
    }
    const { e, stage } = picks[0]!;
    const dot = readText(e, fileOf(e, stage as StageName, "dot"));
    cliOut(format === "dot" ? dot : await dotToSvg(dot));
    return 0;
  } finally {
    s.cleanup();
  }
}

/** The stages of `e` that `stage` names ("last": the final stage it has). */
function pickStages(e: DumpEntry, stage: DumpStage | "last"): (StageName | "source")[] {
  const have = stagesOf(e);
  if (stage === "all") return have;
  if (stage === "last") return have.slice(-1);
  if (stage === "source") return ["source"];
  return have.includes(stage) ? [stage] : [];
}

/** Writes one stage of one entry into `out` in `format`; returns the file name. */
async function writeOne(e: DumpEntry, stage: StageName | "source", format: "text" | "json" | "dot" | "svg", out: string): Promise<string> {
  if (stage === "source") {
    fs.copyFileSync(path.join(e.dir, e.source), path.join(out, e.source));
    return e.source;
  }
  const src = fileOf(e, stage, format === "text" ? "ir" : format === "svg" ? "dot" : format);
  const name = format === "svg" ? src.replace(/\.dot$/, ".svg") : src;
  const text = readText(e, src);
  fs.writeFileSync(path.join(out, name), format === "svg" ? await dotToSvg(text) : text);
  return name;
}

function copyAll(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from).sort()) {
    fs.copyFileSync(path.join(from, f), path.join(to, f));
    cliOut(path.join(to, f) + "\n");
  }
}
