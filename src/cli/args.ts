/** @file Command-line parsing for `graft`: one positional script, `--flag value` / `--flag=value` options, exit codes. */

/**
 * Exit codes scripts can rely on:
 *   0  success
 *   1  a check failed (gradcheck found a mismatch)
 *   2  usage error: bad arguments, missing script, unknown function, stage or format
 *   3  the user's script failed (threw, rejected, or exited non-zero)
 */
export const EXIT = { ok: 0, checkFailed: 1, usage: 2, script: 3 } as const;

/** A mistake in how `graft` was called; main() prints it with a pointer to --help and exits 2. */
export class CliUsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = "CliUsageError";
  }
}

/** The options a command accepts: name -> whether it takes a value. */
export type OptionSpec = Readonly<Record<string, "value" | "flag">>;

export interface Parsed {
  readonly positional: string[];
  readonly options: Record<string, string | true>;
  /** Everything after `--` (or after the script): passed on to the script as its argv. */
  readonly rest: string[];
}

/**
 * Parses `args` against `spec`. The first positional is the script; anything after it that is
 * not one of graft's options for this command goes to the script (as `node script.ts ...` would).
 */
export function parseArgs(command: string, args: readonly string[], spec: OptionSpec): Parsed {
  const positional: string[] = [];
  const options: Record<string, string | true> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("-") && a !== "-") {
      const eq = a.indexOf("=");
      const raw = eq > 0 ? a.slice(0, eq) : a;
      const name = raw === "-h" ? "help" : raw.replace(/^--?/, "");
      const kind = spec[name] ?? (name === "help" ? "flag" : undefined);
      if (!kind) {
        if (positional.length > 0) {
          rest.push(a); // after the script: the script's own option
          continue;
        }
        throw new CliUsageError(`unknown option '${raw}' (options: ${Object.keys(spec).map((k) => `--${k}`).join(", ") || "none"}, --help)`, command);
      }
      if (kind === "flag") {
        if (eq > 0) throw new CliUsageError(`option '${raw}' takes no value`, command);
        options[name] = true;
        continue;
      }
      const value = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined || value === "") throw new CliUsageError(`option '${raw}' needs a value`, command);
      options[name] = value;
      continue;
    }
    if (positional.length === 0) positional.push(a);
    else rest.push(a);
  }
  return { positional, options, rest };
}

/** Checks that `value` is one of `allowed`, with an error that lists them. */
export function oneOf<T extends string>(command: string, what: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new CliUsageError(`unknown ${what} '${value}' (${what}s: ${allowed.join(", ")})`, command);
  return value as T;
}
