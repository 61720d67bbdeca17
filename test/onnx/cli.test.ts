/** @file `graft export --onnx`: the written model passes the checker, reads back with its state, and bad arguments are usage errors. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { importONNX } from "../../src/index.js";
import { fixture, graft } from "../cli/helpers.js";
import { checkModels } from "./helpers.js";

describe("graft export --onnx", () => {
  it("writes the named step; the checker accepts it and importONNX gives back its inputs, state and updates", async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "graft-export-")), "step.onnx");
    const r = await graft(["export", "--onnx", out, fixture("mlp.ts"), "--fn", "train_step"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote train_step \(trace #1, .*\) as ONNX: .*step\.onnx \(\d+ bytes\)/);
    const bytes = new Uint8Array(fs.readFileSync(out));
    expect(checkModels([{ name: "train_step", bytes }])).toEqual([]);
    const m = importONNX(bytes);
    expect(m.graph.state.length).toBeGreaterThan(0);
    expect(m.graph.assigns.length).toBeGreaterThan(0);
  });

  it("graft run and graft explain work on a script whose step runs on the onnx backend", async () => {
    const run = await graft(["run", "test/onnx/fixtures/mlp-onnx.ts"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/step 2: loss 0\.\d+/);
    const ex = await graft(["explain", "test/onnx/fixtures/mlp-onnx.ts", "--fn", "train_step"]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toContain("(backend onnx)");
  });

  it("needs --onnx, and names the functions when --fn is unknown", async () => {
    const r1 = await graft(["export", fixture("mlp.ts")]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/--onnx FILE is required/);
    const r2 = await graft(["export", "--onnx", path.join(os.tmpdir(), "x.onnx"), fixture("mlp.ts"), "--fn", "nope"]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/unknown function 'nope' \(the script compiled: .*train_step/);
  });
});
