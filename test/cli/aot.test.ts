/** @file `graft aot`: the written module runs in a fresh node process, with no compiler, and computes the step. */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tensor } from "../../src/index.js";
import { fixture, graft } from "./helpers.js";

const nodeRun = (file: string, code: string): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(process.execPath, ["--input-type=module", "-e", code], { cwd: path.dirname(file) }, (err, out, errOut) => (err ? reject(new Error(errOut)) : resolve(out))),
  );

describe("graft aot", () => {
  it("writes the latest trace of the named step; the module runs under plain node and trains like graft", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "graft-aot-"));
    const out = path.join(dir, "train.mjs");
    const r = await graft(["aot", fixture("mlp.ts"), "--fn", "train_step", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("wrote train_step (trace #1");
    expect(fs.existsSync(path.join(dir, "graft-runtime/aot-runtime.js"))).toBe(true);
    // one step from the embedded state, in a process that never loads graft's compiler
    const res = JSON.parse(await nodeRun(out, `
      import * as m from ${JSON.stringify(out)};
      const st = m.initialState();
      const before = st.map((a) => Array.from(a));
      const [loss] = m.createStep().run([new Float32Array([1, 1, 1]), new Float32Array([0, 0])], st);
      console.log(JSON.stringify({ loss: loss[0], before, after: st.map((a) => Array.from(a)) }));`)) as { loss: number; before: number[][]; after: number[][] };
    // oracle: the same loss and SGD update computed with graft's eager ops from the embedded state
    const w = tensor(res.before[0]!, [3, 2]);
    const b = tensor(res.before[1]!, [2]);
    const x = tensor([[1, 1, 1]]);
    const h = x.matmul(w).add(b).tanh();
    expect(res.loss).toBeCloseTo(h.square().mean().item(), 6);
    // d mean(tanh(z)^2)/dz = 2 tanh(z) (1 - tanh^2 z) / 2 elements
    const dz = h.mul(h.square().neg().add(1)).mul(2 / 2);
    const gw = x.transpose().matmul(dz);
    const expectW = w.sub(gw.mul(0.1)).dataSync();
    res.after[0]!.forEach((v, i) => expect(v).toBeCloseTo(expectW[i]!, 6));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("explains what is missing: several functions without --fn, an unknown one, no --out", async () => {
    const several = await graft(["aot", fixture("mlp.ts"), "--out", path.join(os.tmpdir(), "never.mjs")]);
    expect(several.code).toBe(2);
    expect(several.stderr).toContain("pick one with --fn (train_step, loss)");
    const unknown = await graft(["aot", fixture("mlp.ts"), "--fn", "nope", "--out", path.join(os.tmpdir(), "never.mjs")]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown function 'nope'");
    const noOut = await graft(["aot", fixture("mlp.ts")]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain("--out FILE is required");
  });
});
