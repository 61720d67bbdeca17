/** @file The `graft` command: run, dump, explain and gradcheck user scripts; exit codes scripts can rely on. */
import { CliUsageError, EXIT, parseArgs, type OptionSpec, type Parsed } from "./args.js";
import { describeFailure, releaseLoop, resolveScript, runScript } from "./script.js";
import { ScriptFailed } from "./session.js";
import { MissingDependencyError } from "../ir/platform.js";
import { dumpCommand, dumpHelp, dumpOptions } from "./dump.js";
import { explainCommand, explainHelp, explainOptions } from "./explain.js";
import { gradcheckCommand, gradcheckHelp, gradcheckOptions } from "./gradcheck.js";
import { aotCommand, aotHelp, aotOptions } from "./aot.js";
import { exportCommand, exportHelp, exportOptions } from "./export.js";

const runHelp = `graft run — run a TypeScript (or JavaScript) script

usage: graft run script.ts [script args]

Runs the script as \`node script.ts\` would, with TypeScript support. GRAFT_DUMP=<dir> in the
environment makes every compiled function write its stages there (see graft dump --help).
Exit code: 0 when the script finishes, 3 when it throws (or an unhandled rejection ends it),
and the script's own code when it sets process.exitCode or calls process.exit(n).`;

interface Command {
  readonly summary: string;
  readonly help: string;
  readonly options: OptionSpec;
  readonly run: (p: Parsed) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  run: { summary: "run a script (TypeScript via tsx)", help: runHelp, options: {}, run: runCommand },
  dump: { summary: "show every stage of what a script compiled, as text, JSON, DOT or SVG", help: dumpHelp, options: dumpOptions, run: dumpCommand },
  explain: { summary: "fusion decisions, memory plan and kernel statistics", help: explainHelp, options: explainOptions, run: explainCommand },
  gradcheck: { summary: "check the gradients of a script's compiled functions numerically", help: gradcheckHelp, options: gradcheckOptions, run: gradcheckCommand },
  aot: { summary: "write a compiled step as a standalone module (no compiler needed to run it)", help: aotHelp, options: aotOptions, run: aotCommand },
  export: { summary: "write a compiled step as an ONNX model (--onnx FILE)", help: exportHelp, options: exportOptions, run: exportCommand },
};

export const mainHelp = `graft — tf.function for TypeScript: inspect and check compiled training steps

usage: graft <command> script.ts [options] [-- script args]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join("\n")}

\`graft <command> --help\` describes a command's options.

environment:
  GRAFT_DUMP=<dir>       every compiled function writes its stages, source, fusion decisions,
                         memory plan, example inputs and why it traced into <dir>
  GRAFT_DUMP_PASSES=1    with GRAFT_DUMP, also the graph after every pass
  GRAFT_PROGRESS=0       no progress bars

exit codes:
  0  success
  1  a check failed (gradcheck found a gradient mismatch)
  2  usage error: bad arguments, missing script, unknown command, function, stage or format
  3  the script failed: it threw, rejected, or exited with a non-zero code
  4  graft itself failed (a bug: please report it with the output)`;

async function runCommand(p: Parsed): Promise<number> {
  const script = resolveScript("run", p.positional[0]);
  const r = await runScript(script, { argv: p.rest });
  if (r.ok) return EXIT.ok;
  process.stderr.write(`${describeFailure(r)}\n`);
  // a script that chose its exit code keeps it, as under node; one that threw exits 3
  return r.exitCode ?? EXIT.script;
}

/** Runs `graft <argv>`, sets the exit code, and returns it. */
export async function main(argv: readonly string[]): Promise<number> {
  let code: number;
  try {
    code = await dispatch(argv);
  } finally {
    releaseLoop();
  }
  process.exitCode = code;
  return code;
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? args[0] : undefined;
    if (topic && COMMANDS[topic]) return print(COMMANDS[topic].help), EXIT.ok;
    if (name === undefined) return process.stderr.write(mainHelp + "\n"), EXIT.usage;
    return print(mainHelp), EXIT.ok;
  }
  const cmd = COMMANDS[name];
  if (!cmd) return usageError(new CliUsageError(`unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(", ")})`));
  try {
    const parsed = parseArgs(name, args, cmd.options);
    if (parsed.options.help) return print(cmd.help), EXIT.ok;
    return await cmd.run(parsed);
  } catch (e) {
    if (e instanceof CliUsageError) return usageError(e);
    if (e instanceof ScriptFailed) return process.stderr.write(e.message + "\n"), e.code;
    // an optional package the command needs is not installed: the user's setup, not a graft bug
    if (e instanceof MissingDependencyError) return process.stderr.write(`graft ${name}: error: ${e.message}\n`), EXIT.usage;
    process.stderr.write(`graft ${name}: internal error (please report):\n${e instanceof Error ? e.stack : String(e)}\n`);
    return 4;
  }
}

function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

function usageError(e: CliUsageError): number {
  const where = e.command ? `graft ${e.command}` : "graft";
  process.stderr.write(`${where}: error: ${e.message}\n(see ${where} --help)\n`);
  return EXIT.usage;
}
