/** @file examples/ir-tour.ts (the README's IR excerpt) runs: it prints the traced IR and the same loss compiled and eagerly. */
import { expect, it, vi } from "vitest";

it("prints the IR and a finite loss that matches eager mode", async () => {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
  try {
    await import("../../examples/ir-tour.js");
  } finally {
    spy.mockRestore();
  }
  const out = lines.join("\n");
  expect(out).toMatch(/func @loss\(%0: f32\[8,4\], %1: i32\[8\]\) state\(%2: f32\[4,16\] "w1"/);
  expect(out).toContain("// examples/ir-tour.ts:12");
  const compiled = Number(/loss \(interp backend\): (\S+)/.exec(out)?.[1]);
  const eager = Number(/loss \(eager\): +(\S+)/.exec(out)?.[1]);
  expect(Number.isFinite(compiled)).toBe(true);
  expect(compiled).toBeGreaterThan(0);
  expect(compiled).toBe(eager);
});
