/** @file Runs a user's script in this process (tsx is registered by bin/graft.mjs) and reports how it ended. */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { CliUsageError } from "./args.js";

export interface ScriptOptions {
  /** argv the script sees after its own path. */
  readonly argv?: readonly string[];
  /** Send the script's stdout to stderr, so the command's own output stays clean on stdout. */
  readonly stdoutToStderr?: boolean;
}

export type ScriptResult = { readonly ok: true } | { readonly ok: false; readonly error: unknown; readonly exitCode?: number };

/** The absolute path of an existing script, or a usage error naming what is wrong. */
export function resolveScript(command: string, file: string | undefined): string {
  if (!file) throw new CliUsageError("missing the script to run (graft " + command + " script.ts)", command);
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new CliUsageError(`no such file: ${file}`, command);
  if (!fs.statSync(abs).isFile()) throw new CliUsageError(`not a file: ${file}`, command);
  // bin/graft.mjs registers tsx when it is installed (an optional peer dependency of the package)
  if (/\.[cm]?tsx?$/.test(abs) && (globalThis as { __graftTsx?: boolean }).__graftTsx === false) {
    throw new CliUsageError(`${file} is TypeScript, which needs the optional package 'tsx': npm install tsx (or run a .js/.mjs script)`, command);
  }
  return abs;
}

/** The stdout writer the CLI itself uses (unaffected by `stdoutToStderr`). */
export const cliOut: (s: string) => void = ((write) => (s: string) => void write(s))(process.stdout.write.bind(process.stdout));

/**
 * Imports the script and waits until it is done: its module has evaluated and the event loop
 * has nothing left (so `main()` called without `await`, timers and promises all finish too).
 * An exception, an unhandled rejection or a `process.exit(n)` with n != 0 is a failure.
 */
export async function runScript(abs: string, opts: ScriptOptions = {}): Promise<ScriptResult> {
  const savedArgv = process.argv;
  process.argv = [process.argv[0]!, abs, ...(opts.argv ?? [])];
  const stdoutWrite = process.stdout.write;
  if (opts.stdoutToStderr) process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  let failure: ScriptResult | undefined;
  let settle: () => void = () => {};
  const onError = (error: unknown): void => {
    failure ??= { ok: false, error };
    settle(); // as node would: an uncaught error ends the run now
  };
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  try {
    await import(pathToFileURL(abs).href);
    // the loop drains: 'beforeExit' fires when nothing else is pending
    if (!failure) {
      await new Promise<void>((resolve) => {
        settle = resolve;
        process.once("beforeExit", () => resolve());
      });
    }
  } catch (error) {
    failure ??= { ok: false, error };
  } finally {
    process.off("uncaughtException", onError);
    process.off("unhandledRejection", onError);
    process.stdout.write = stdoutWrite;
    process.argv = savedArgv;
  }
  // the loop has drained; async work the command does next (e.g. loading Graphviz's wasm) does
  // not keep it alive by itself, so hold it until main() is done
  hold ??= setInterval(() => {}, 2 ** 30);
  if (!failure && typeof process.exitCode === "number" && process.exitCode !== 0) {
    failure = { ok: false, error: new Error(`the script set process.exitCode = ${process.exitCode}`), exitCode: process.exitCode };
  }
  return failure ?? { ok: true };
}

let hold: ReturnType<typeof setInterval> | undefined;
/** Lets the process exit once the command is done (see runScript). */
export function releaseLoop(): void {
  if (hold) clearInterval(hold);
  hold = undefined;
}

/** A script failure as the user wants to read it: its message and stack, without graft's own runner frames. */
export function describeFailure(r: ScriptResult & { ok: false }): string {
  if (r.exitCode !== undefined) return `the script exited with code ${r.exitCode}`;
  const e = r.error;
  if (!(e instanceof Error)) return `the script threw ${typeof e === "string" ? JSON.stringify(e) : String(e)}`;
  const runner = /\/src\/cli\/|\/bin\/graft\.mjs|node:internal\/modules\/(esm|run_main)/;
  return (e.stack ?? `${e.name}: ${e.message}`).split("\n").filter((l) => !(l.trimStart().startsWith("at ") && runner.test(l))).join("\n");
}
