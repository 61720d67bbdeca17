/** @file The CLI's argument handling in-process: --help on every command, usage errors with exit code 2 before any script runs. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { parseArgs } from "../../src/cli/args.js";
import { fixture } from "./helpers.js";

/** Runs main() capturing what it writes. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  }
}

afterEach(() => vi.restoreAllMocks());

describe("graft --help", () => {
  it("lists the commands and documents the exit codes", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    for (const c of ["run", "dump", "explain", "gradcheck"]) expect(r.out).toMatch(new RegExp(`^  ${c}\\s`, "m"));
    for (const line of ["0  success", "1  a check failed", "2  usage error", "3  the script failed"]) expect(r.out).toContain(line);
  });

  it.each(["run", "dump", "explain", "gradcheck"])("%s --help (and -h, and `help %s`) prints its usage", async (c) => {
    const a = await cli(c, "--help");
    expect(a.code).toBe(0);
    expect(a.out).toContain(`usage: graft ${c} script.ts`);
    expect((await cli(c, "-h")).out).toBe(a.out);
    expect((await cli("help", c)).out).toBe(a.out);
  });

  it("no command prints the help to stderr with exit code 2", async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.err).toContain("usage: graft <command>");
  });
});

describe("usage errors (exit 2, before the script runs)", () => {
  it.each([
    [["frobnicate"], "unknown command 'frobnicate' (commands: run, dump, explain, gradcheck, aot, export)"],
    [["dump"], "missing the script to run"],
    [["dump", "no/such/script.ts"], "no such file: no/such/script.ts"],
    [["run", "test/cli"], "not a file: test/cli"],
    [["dump", fixture("mlp.ts"), "--stage", "bogus"], "unknown stage 'bogus' (stages: traced, grad, optimized, fused, source, all)"],
    [["dump", fixture("mlp.ts"), "--format", "png"], "unknown format 'png' (formats: text, json, dot, svg)"],
    [["dump", fixture("mlp.ts"), "--stage", "source", "--format", "dot"], "--stage source is code, not a graph"],
    [["dump", "--bogus", fixture("mlp.ts")], "unknown option '--bogus'"],
    [["dump", fixture("mlp.ts"), "--fn"], "option '--fn' needs a value"],
    [["gradcheck", fixture("mlp.ts"), "--order", "3"], "unknown order '3' (orders: 1, 2)"],
    [["gradcheck", fixture("mlp.ts"), "--atol", "-1"], "--atol needs a non-negative number"],
  ])("graft %j", async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain("--help");
    expect(r.out).toBe("");
  });
});

describe("parseArgs", () => {
  it("takes --opt value and --opt=value; options after the script that graft does not know go to the script", () => {
    const p = parseArgs("dump", ["--fn=a", "s.ts", "--stage", "grad", "--lr", "3", "x"], { fn: "value", stage: "value" });
    expect(p).toEqual({ positional: ["s.ts"], options: { fn: "a", stage: "grad" }, rest: ["--lr", "3", "x"] });
    expect(parseArgs("run", ["s.ts", "--", "--fn", "b"], { fn: "value" }).rest).toEqual(["--fn", "b"]);
  });
});
