/** @file Reading a GRAFT_DUMP folder back: its manifests, and choosing functions, signatures and stages from it. */
import fs from "node:fs";
import path from "node:path";
import { DUMP_FORMAT, type DumpInfo } from "../runtime/index.js";
import { STAGES, type StageName } from "../passes/pipeline.js";
import { CliUsageError } from "./args.js";

/** One dumped signature, with the folder it lives in. */
export interface DumpEntry extends DumpInfo {
  readonly dir: string;
  /** The file-name stem, unique per fn() instance ("step", "step_1"). */
  readonly stem: string;
}

/** Every manifest in `dir`, sorted by file name (function, then trace order). */
export function readDumpDir(dir: string): DumpEntry[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".info.json"))
    .sort()
    .flatMap((f) => {
      const info = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as DumpInfo;
      if (info.format !== DUMP_FORMAT) return [];
      return [{ ...info, dir, stem: info.prefix.replace(/\.s\d+\.$/, "") }];
    });
}

export const readText = (e: DumpEntry, file: string): string => fs.readFileSync(path.join(e.dir, file), "utf8");

/** Distinct function names (stems) in dump order. */
export const fnNames = (entries: readonly DumpEntry[]): string[] => [...new Set(entries.map((e) => e.stem))];

/**
 * Entries of the function called `name` (its `name` option / step name, or its unique stem);
 * all of them when `name` is undefined. Unknown names are a usage error listing the known ones.
 */
export function selectFn(command: string, entries: readonly DumpEntry[], name: string | undefined): DumpEntry[] {
  if (entries.length === 0) {
    throw new CliUsageError("the script compiled no functions (graft looks for steps compiled with fn() and called at least once)", command);
  }
  if (name === undefined) return [...entries];
  const byStem = entries.filter((e) => e.stem === name);
  const picked = byStem.length ? byStem : entries.filter((e) => e.fn === name);
  if (!picked.length) throw new CliUsageError(`unknown function '${name}' (the script compiled: ${fnNames(entries).join(", ")})`, command);
  return picked;
}

/** Entries of one signature (`--sig N`), or every signature when undefined. */
export function selectSig(command: string, entries: readonly DumpEntry[], sig: string | undefined): DumpEntry[] {
  if (sig === undefined) return [...entries];
  const n = Number(sig);
  const picked = entries.filter((e) => e.sig === n);
  if (!Number.isInteger(n) || !picked.length) {
    throw new CliUsageError(`no signature ${sig} (traces: ${entries.map((e) => `${e.stem} #${e.sig}`).join(", ")})`, command);
  }
  return picked;
}

/** The latest signature of each function. */
export function latestPerFn(entries: readonly DumpEntry[]): DumpEntry[] {
  const last = new Map<string, DumpEntry>();
  for (const e of entries) if ((last.get(e.stem)?.sig ?? -1) < e.sig) last.set(e.stem, e);
  return [...last.values()];
}

/** The stages an entry has, in pipeline order. */
export const stagesOf = (e: DumpEntry): StageName[] => STAGES.filter((s) => e.stages[s]);
