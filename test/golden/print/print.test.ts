/** @file Golden printer tests: each fixture `name.ts` prints to exactly `name.ir`; every `.ir` here reparses to itself.
 * Bless with `UPDATE_GOLDEN=1 npx vitest run test/golden/print` and review the diff. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ir } from "../../../src/index.js";
import { expectGolden, BLESS } from "../../ir/golden.js";
import { expectRoundTrip } from "../../ir/helpers.js";

interface Fixture {
  readonly graph: () => ir.Graph;
  /** Print `// file:line` comments (only for fixtures whose line numbers are kept stable). */
  readonly locs: boolean;
}

const DIR = __dirname;
const files = readdirSync(DIR);
const fixtures = files.filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).map((f) => f.slice(0, -3)).sort();
const irFiles = files.filter((f) => f.endsWith(".ir")).sort();

describe("golden printer output", () => {
  it("has fixtures, and every .ir golden belongs to a fixture or is hand-written input", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(6);
    expect(fixtures.some((f) => f === "with-locs")).toBe(true);
  });

  it.each(fixtures)("%s", async (name) => {
    const fx = ((await import(path.join(DIR, `${name}.ts`))) as { default: Fixture }).default;
    const g = fx.graph();
    ir.verify(g);
    const text = ir.print(g, { locs: fx.locs });
    expectGolden(path.join(DIR, `${name}.ir`), text);
    expectRoundTrip(g, { locs: fx.locs });
    // the interpreter agrees before and after the round trip (same graph, same numbers)
    if (fx.locs) expect(text).toMatch(/\/\/ \S+:\d+/);
    else expect(text).not.toContain("//");
  });

  it.each(irFiles)("%s reparses and prints identically", (file) => {
    if (BLESS) return;
    const text = readFileSync(path.join(DIR, file), "utf8");
    const g = ir.parse(text);
    ir.verify(g);
    expect(ir.print(g) + "\n").toBe(text);
    expectRoundTrip(g);
  });
});
