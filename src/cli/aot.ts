/** @file `graft aot`: write a script's compiled step as a standalone module that runs without the compiler. */
import path from "node:path";
import { importOptional } from "../ir/platform.js";
import type { CompileRecord } from "../runtime/index.js";
import { CliUsageError, EXIT, type Parsed } from "./args.js";
import { runDumped } from "./session.js";
import { resolveScript } from "./script.js";

export const aotHelp = `graft aot — compile a script's step ahead of time into a standalone module

usage: graft aot script.ts --out FILE [--fn NAME] [--sig N] [--format ts|js] [--no-state] [-- script args]

Runs the script, takes the function it compiled (the only one, or --fn NAME) at its latest
trace (or --sig N), and writes FILE: the js backend's generated code for that signature as an
ES module, plus a copy of the tiny kernel runtime it imports (graft-runtime/ beside FILE).
The module exports the step and, unless --no-state, the state values the step was compiled
with (initialState()); it imports nothing from the compiler.

options:
  --out FILE      where to write the module (.ts or .js)
  --fn NAME       which compiled function (needed when the script compiles several)
  --sig N         which trace of it (default: the latest)
  --format ts|js  default from FILE's extension
  --no-state      do not embed the state values`;

export const aotOptions = { out: "value", fn: "value", sig: "value", format: "value", "no-state": "flag" } as const;

/** The record the options pick, with usage errors that list what exists. */
export function pick(records: readonly CompileRecord[], fnName: string | undefined, sig: string | undefined): CompileRecord {
  if (!records.length) throw new CliUsageError("the script compiled no functions (graft looks for steps compiled with fn() and called at least once)", "aot");
  const names = [...new Set(records.map((r) => r.fnName))];
  if (fnName === undefined && names.length > 1) throw new CliUsageError(`the script compiled several functions; pick one with --fn (${names.join(", ")})`, "aot");
  const mine = records.filter((r) => r.fnName === (fnName ?? names[0]));
  if (!mine.length) throw new CliUsageError(`unknown function '${fnName}' (the script compiled: ${names.join(", ")})`, "aot");
  if (sig === undefined) return mine.reduce((a, b) => (b.sigIndex > a.sigIndex ? b : a));
  const hit = mine.find((r) => r.sigIndex === Number(sig));
  if (!hit) throw new CliUsageError(`no signature ${sig} of ${mine[0]!.fnName} (traces: ${mine.map((r) => r.sigIndex).join(", ")})`, "aot");
  return hit;
}

export async function aotCommand(p: Parsed): Promise<number> {
  const script = resolveScript("aot", p.positional[0]);
  const out = p.options.out;
  if (typeof out !== "string") throw new CliUsageError("--out FILE is required", "aot");
  const format = p.options.format;
  if (format !== undefined && format !== "ts" && format !== "js") throw new CliUsageError(`--format must be ts or js, got '${String(format)}'`, "aot");
  const session = await runDumped(script, { argv: p.rest });
  try {
    const rec = pick(session.records, p.options.fn as string | undefined, p.options.sig as string | undefined);
    // the AOT emitter is built on ts-morph, an optional dependency: loaded only for this command
    const { writeAotModule } = await importOptional("ts-morph", "graft aot", () => import("../runtime/aot.js"));
    const written = writeAotModule(path.resolve(out), rec.stages, {
      ...(format ? { format } : {}),
      ...(p.options["no-state"] || !rec.stateValues ? {} : { initialState: rec.stateValues }),
    });
    process.stdout.write(`wrote ${rec.fnName} (trace #${rec.sigIndex}, ${rec.signature}):\n${written.map((f) => `  ${path.relative(process.cwd(), f)}`).join("\n")}\n`);
    return EXIT.ok;
  } finally {
    session.cleanup();
  }
}
