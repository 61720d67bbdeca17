/** @file Running a script with dumping on into a temporary folder, for the commands that read what it compiled. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { onCompile, type CompileRecord } from "../runtime/index.js";
import { EXIT } from "./args.js";
import { describeFailure, runScript } from "./script.js";
import { readDumpDir, type DumpEntry } from "./dumpdir.js";

export interface Session {
  /** The dump folder (a temporary one; `cleanup` removes it). */
  readonly dir: string;
  readonly entries: DumpEntry[];
  /** The live compile records, in compile order (gradcheck calls the functions again). */
  readonly records: CompileRecord[];
  cleanup(): void;
}

/** Thrown when the user's script fails: main() prints `message` and exits with `code`. */
export class ScriptFailed extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.script,
  ) {
    super(message);
    this.name = "ScriptFailed";
  }
}

/**
 * Runs `script` with GRAFT_DUMP pointing at a fresh temporary folder (GRAFT_DUMP_PASSES too when
 * `passes`), its stdout sent to stderr so the command's output stays clean, and collects what it
 * compiled. A failing script raises ScriptFailed (exit code 3).
 */
export async function runDumped(script: string, opts: { argv?: readonly string[]; passes?: boolean } = {}): Promise<Session> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "graft-dump-"));
  const saved = { dump: process.env.GRAFT_DUMP, passes: process.env.GRAFT_DUMP_PASSES };
  process.env.GRAFT_DUMP = dir;
  if (opts.passes) process.env.GRAFT_DUMP_PASSES = "1";
  const records: CompileRecord[] = [];
  const stop = onCompile((r) => void records.push(r));
  const cleanup = (): void => fs.rmSync(dir, { recursive: true, force: true });
  // a script that calls process.exit() ends the process before the command can report
  const onExit = (code: number): void => {
    process.stderr.write(`graft: the script called process.exit(${code}) before graft could report\n`);
    cleanup();
    if (!code) process.exitCode = EXIT.script;
  };
  process.once("exit", onExit);
  try {
    const result = await runScript(script, { argv: opts.argv, stdoutToStderr: true });
    if (!result.ok) {
      cleanup();
      throw new ScriptFailed(`graft: the script failed:\n${describeFailure(result)}`);
    }
  } finally {
    process.off("exit", onExit);
    stop();
    restore("GRAFT_DUMP", saved.dump);
    restore("GRAFT_DUMP_PASSES", saved.passes);
  }
  return { dir, entries: readDumpDir(dir), records, cleanup };
}

function restore(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}
