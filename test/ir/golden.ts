/** @file Golden files: compare text with a checked-in expectation; `UPDATE_GOLDEN=1` rewrites it (review the diff). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";

export const BLESS = process.env.UPDATE_GOLDEN === "1";

/** Asserts `actual` equals the file's text; in bless mode writes the file instead. */
export function expectGolden(file: string, actual: string): void {
  const text = actual.endsWith("\n") ? actual : actual + "\n";
  if (BLESS) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) expect.fail(`golden file ${path.relative(process.cwd(), file)} is missing: run with UPDATE_GOLDEN=1 to create it, then review it`);
  expect(text, `golden ${path.relative(process.cwd(), file)} (UPDATE_GOLDEN=1 to bless)`).toBe(readFileSync(file, "utf8"));
}

/** Renders named cases as `## name` sections, the format of the error goldens. */
export const sections = (cases: readonly (readonly [string, string])[]): string =>
  cases.map(([name, body]) => `## ${name}\n${body}\n`).join("\n");

/** The message of what `f` throws, prefixed by the error class; "(no error)" if it returns. */
export function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : `thrown non-error: ${String(e)}`;
  }
  return "(no error)";
}
