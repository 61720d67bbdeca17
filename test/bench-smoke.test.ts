/** @file Bench smoke test: every workload once at tiny shapes through the real harness and peers. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareResults, type Contender, runWorkloads, type WorkloadResult } from "../bench/harness.js";
import { measurePeaks } from "../bench/peaks.js";
import { noDataMoves, tf, useBackend } from "../bench/peers/tfjs-env.js";
import { machineInfo, writeReport } from "../bench/report.js";
import { buildWorkloads } from "../bench/workloads.js";

/** Agrees in length with W3's tiny output (16 rows) but not in value: must be flagged. */
const wrong: Contender = {
  name: "deliberately wrong",
  engine: "js",
  setup: async () => ({ run() {}, result: () => new Array(16).fill(0) }),
};
const broken: Contender = {
  name: "broken setup",
  engine: "wasm",
  setup: async () => {
    throw new Error("no such engine");
  },
};
const injected = new Set([wrong.name, broken.name]);

describe("bench smoke (tiny shapes)", () => {
  let results: WorkloadResult[];
  let dir: string;

  beforeAll(async () => {
    const workloads = buildWorkloads({ W3: [wrong, broken] }, { mode: "tiny" });
    results = await runWorkloads(workloads, { repeats: 1, warmup: 1 });
    dir = mkdtempSync(path.join(os.tmpdir(), "graft-bench-smoke-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs every workload family", () => {
    expect(results.map((w) => w.id)).toEqual(["W1", "W2", "W3", "W4-8", "W4-13", "W4-trap-16"]);
  });

  it("every peer set up, agreed with the reference and was timed", () => {
    for (const w of results) {
      for (const c of w.contenders.filter((c) => !injected.has(c.name))) {
        expect({ w: w.id, c: c.name, status: c.status, reason: c.reason }).toEqual({
          w: w.id,
          c: c.name,
          status: c.name === w.reference ? "reference" : "ok",
          reason: undefined,
        });
        expect(c.samples).toHaveLength(1);
        expect(c.maxAbsDiff).toBeLessThanOrEqual(w.tolerance * 100);
      }
      expect(w.contenders.find((c) => c.name === w.baseline)?.median).toBeGreaterThan(0);
    }
  });

  it("flags a wrong result as MISMATCH and records a failed setup", () => {
    const w3 = results.find((w) => w.id === "W3")!;
    const bad = w3.contenders.find((c) => c.name === wrong.name)!;
    expect(bad.status).toBe("MISMATCH");
    expect(bad.maxAbsDiff).toBeGreaterThan(w3.tolerance);
    const skipped = w3.contenders.find((c) => c.name === broken.name)!;
    expect(skipped.status).toBe("skipped");
    expect(skipped.reason).toContain("no such engine");
  });

  it("compares with a tolerance relative above 1 and absolute below", () => {
    expect(compareResults([1000.05], [1000], 1e-4).pass).toBe(true);
    expect(compareResults([0.5002], [0.5], 1e-4).pass).toBe(false);
    expect(compareResults([NaN], [1], 1).pass).toBe(false);
    expect(compareResults([1, 2], [1], 1).pass).toBe(false);
  });

  it("catches tfjs tensors migrating between backends", async () => {
    await useBackend("wasm");
    const t = tf.tensor1d([1, 2]);
    await useBackend("cpu");
    expect(() => noDataMoves(() => tf.add(t, 1).dispose())).toThrow(/moved between tfjs backends/);
    t.dispose();
  });

  it("writes RESULTS.md, results.json and ratios.svg", async () => {
    const peaks = await measurePeaks({ tiny: true });
    expect(peaks.wasmSimdGflops).toBeGreaterThan(0);
    const files = writeReport(dir, { machine: machineInfo(), peaks, mode: "tiny", results });
    for (const f of Object.values(files)) expect(existsSync(f)).toBe(true);
    const md = readFileSync(files.markdown, "utf8");
    expect(md).toContain("## W1:");
    expect(md).toContain("**MISMATCH**");
    expect(md).toMatch(/tfjs wasm \| wasm \| [\d.]+ \|/);
    const json = JSON.parse(readFileSync(files.json, "utf8"));
    expect(json.results).toHaveLength(results.length);
    const svg = readFileSync(files.svg, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("MISMATCH");
  });
});
