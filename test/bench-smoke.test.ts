/** @file Bench smoke test: every workload once at tiny shapes through the real harness and peers. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareResults, type Contender, runWorkloads, type WorkloadResult } from "../bench/harness.js";
import { measurePeaks, type Peaks } from "../bench/peaks.js";
import { noDataMoves, tf, useBackend } from "../bench/peers/tfjs-env.js";
import { machineInfo, writeReport } from "../bench/report.js";
import { buildWorkloads, type PeerWorkload } from "../bench/workloads.js";
import { contenders as graftContenders, sections as graftSections } from "../bench/graft.js";
import type { ExtraSection } from "../bench/report.js";
import { fitExponent } from "../bench/graft-scale.js";
import { backendNames } from "../src/runtime/index.js";

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
  let sections: ExtraSection[];
  let peaks: Peaks;
  let dir: string;

  beforeAll(async () => {
    // the bench compiles as users do: without verifying the IR after every pass (about half the compile time)
    const verify = process.env.GRAFT_VERIFY;
    delete process.env.GRAFT_VERIFY;
    try {
      // graft's contenders on every workload (bench/graft.ts), plus two deliberately bad ones on W3
      const graft = graftContenders("tiny");
      const graftW3 = graft.W3 as (w: PeerWorkload) => Contender[];
      const workloads = buildWorkloads({ ...graft, W3: (w) => [...graftW3(w), wrong, broken] }, { mode: "tiny", baseline: "graft js" });
      results = await runWorkloads(workloads, { repeats: 1, warmup: 1 });
      peaks = await measurePeaks({ tiny: true });
      sections = await graftSections({ mode: "tiny", log: () => {}, results, peaks });
    } finally {
      if (verify !== undefined) process.env.GRAFT_VERIFY = verify;
    }
    dir = mkdtempSync(path.join(os.tmpdir(), "graft-bench-smoke-"));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs every workload family", () => {
    expect(results.map((w) => w.id)).toEqual(["W1", "W2", "W3", "W4-8", "W4-13", "W4-trap-16", "W5"]);
  });

  it("every peer and graft contender set up, agreed with the reference and was timed", () => {
    const hasJs = backendNames().includes("js");
    for (const w of results) {
      const graftNames = w.contenders.map((c) => c.name).filter((n) => n.startsWith("graft "));
      expect({ w: w.id, graftNames }).toEqual({
        w: w.id,
        graftNames: w.id.startsWith("W4-trap") ? [] : ["graft js", "graft tfjs-cpu", "graft tfjs-wasm", "graft wasm", "graft onnx", ...(w.id === "W5" ? ["graft js cached"] : [])],
      });
      for (const c of w.contenders.filter((c) => !injected.has(c.name))) {
        if (!hasJs && c.name === "graft js") {
          // until the js backend is registered, its contenders say so instead of running
          expect(c.status).toBe("skipped");
          expect(c.reason).toContain("not registered");
          continue;
        }
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

  it("W7's exponent fit recovers a known power law", () => {
    const xs = [150, 1000, 4000, 8000];
    expect(fitExponent(xs, xs.map((x) => 3 * x ** 1.5))).toBeCloseTo(1.5, 10);
    expect(fitExponent(xs, xs.map((x) => 0.2 * x))).toBeCloseTo(1, 10);
  });

  it("graft's W1 step matches the peers' numbers, and the W5/W6 sections have a row per graft target", () => {
    const w1 = results.find((w) => w.id === "W1")!;
    expect(w1.reference).toBe("plain JS");
    const ok = w1.contenders.filter((c) => c.name.startsWith("graft ") && c.status === "ok");
    expect(ok.length).toBeGreaterThanOrEqual(2);
    for (const c of ok) expect(c.maxAbsDiff).toBeLessThanOrEqual(w1.tolerance);
    expect(sections.map((s) => s.id)).toEqual(["Targets", "W5-phases", "W6", "ONNX", "W7"]);
    // W7: one row per size, node counts near the targets and growing, a fitted exponent
    const scale = sections[4]!.data as { rows: { nodes: { traced: number } }[]; exponent: number };
    const traced = scale.rows.map((r) => r.nodes.traced);
    expect(traced.length).toBe(2);
    expect(traced[0]).toBeGreaterThanOrEqual(100);
    expect(traced[0]).toBeLessThan(250);
    expect(traced[1]).toBeGreaterThan(4 * traced[0]!);
    expect(Number.isFinite(scale.exponent)).toBe(true);
    const [goals, phases, memory] = sections as [ExtraSection, ExtraSection, ExtraSection];
    expect(goals.rows.find((r) => r[1] === "graft tfjs-wasm vs tfjs wasm")?.[2]).toMatch(/^[\d.]+x (faster|slower)$/);
    const targets = ["graft js", "graft tfjs-cpu", "graft tfjs-wasm"].filter((n) => n !== "graft js" || backendNames().includes("js"));
    expect(phases.rows.map((r) => r[0])).toEqual(targets);
    expect(memory.rows.map((r) => r[0])).toEqual([...targets, "plain JS blocked", "tfjs cpu", "tfjs wasm"]);
    // the tfjs contenders leak nothing per step (graft's and TensorFlow.js's own)
    for (const r of memory.data as { contender: string; tfGrowth?: number }[]) if (r.tfGrowth !== undefined) expect({ c: r.contender, growth: r.tfGrowth }).toEqual({ c: r.contender, growth: 0 });
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
    expect(peaks.wasmSimdGflops).toBeGreaterThan(0);
    const files = writeReport(dir, { machine: machineInfo(), peaks, mode: "tiny", results, sections });
    for (const f of Object.values(files)) expect(existsSync(f)).toBe(true);
    const md = readFileSync(files.markdown, "utf8");
    expect(md).toContain("## W1:");
    expect(md).toContain("## W6: memory");
    expect(md).toContain("**MISMATCH**");
    expect(md).toMatch(/tfjs wasm \| wasm \| [\d.]+ \|/);
    const json = JSON.parse(readFileSync(files.json, "utf8"));
    expect(json.results).toHaveLength(results.length);
    const svg = readFileSync(files.svg, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("MISMATCH");
  });
});
