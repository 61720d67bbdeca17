/** @file AOT modules: written for a training step, imported in a fresh process (TS through tsx, JS through plain node), same numbers. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as G from "../../src/index.js";
import { lowerStages } from "../../src/passes/pipeline.js";
import { writeAotModule } from "../../src/runtime/aot.js";
import { makeMlp, mlpBatch } from "./mlp-model.js";

const ROOT = join(__dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "graft-aot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SIZES = [784, 32, 32, 10];
const BATCH = 16;
const STEPS = 3;

/** Losses of STEPS steps and the final first weight matrix, in this process on the js backend. */
function inProcess(): { losses: number[]; w0: number[]; step: G.CompiledFn<[G.Tensor, G.Tensor], G.Tensor>; init: G.ir.NDArray[] } {
  const m = makeMlp(SIZES);
  const step = G.fn(m.step, { backend: "js" });
  const { x, y } = mlpBatch(BATCH);
  step.trace(x, y);
  const g = step.graph("traced");
  const byName = new Map([...m.params, ...m.slots, m.t].map((v) => [v.name, v]));
  const init = g.state.map((s) => G.ir.nd(s.value.dtype, s.value.shape, byName.get(s.name)!.read().data));
  const losses = Array.from({ length: STEPS }, () => step(x, y).item());
  return { losses, w0: [...m.params[0]!.read().data.slice(0, 50)], step, init };
}

/** A script that imports the module, runs STEPS steps from its embedded state, and prints the same numbers. */
function runner(module: string): string {
  const { x, y } = mlpBatch(BATCH);
  return [
    `import { createStep, initialState, signature } from ${JSON.stringify(module)};`,
    `const x = new Float32Array(${JSON.stringify([...x.dataSync()])});`,
    `const y = new Int32Array(${JSON.stringify([...y.dataSync()])});`,
    `const state = initialState();`,
    `const step = createStep();`,
    `const losses = [];`,
    `for (let i = 0; i < ${STEPS}; i++) losses.push(step.run([x, y], state)[0][0]);`,
    `const w0 = state[signature.state.findIndex((s) => s.name === "w0")];`,
    `process.stdout.write(JSON.stringify({ losses, w0: Array.from(w0.slice(0, 50)) }));`,
  ].join("\n");
}

describe("AOT modules", () => {
  const ref = inProcess();
  const stages = lowerStages(ref.step.graph("traced"));

  it("a TypeScript module runs in a fresh tsx process and matches", () => {
    // straight from the compiled fn (its latest signature)
    const written = writeAotModule(join(dir, "ts", "step.ts"), ref.step, { initialState: ref.init });
    expect(written.some((p) => p.endsWith("graft-runtime/aot-runtime.ts"))).toBe(true);
    const text = readFileSync(join(dir, "ts", "step.ts"), "utf8");
    expect(text).toMatch(/^import \* as rt from "\.\/graft-runtime\/aot-runtime\.js";$/m);
    expect(text).not.toMatch(/from "[^"]*src\//); // nothing of the compiler
    writeFileSync(join(dir, "ts", "run.ts"), runner("./step.js"));
    const out = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", join(dir, "ts", "run.ts")], { cwd: ROOT, encoding: "utf8", timeout: 60_000 }));
    expect(out.losses).toEqual(ref.losses);
    expect(out.w0).toEqual(ref.w0);
  });

  it("a JavaScript module runs under plain node (no TypeScript anywhere) and matches", () => {
    writeAotModule(join(dir, "js", "step.mjs"), stages, { initialState: ref.init });
    writeFileSync(join(dir, "js", "run.mjs"), runner("./step.mjs"));
    const out = JSON.parse(execFileSync(process.execPath, [join(dir, "js", "run.mjs")], { cwd: dir, encoding: "utf8", timeout: 60_000 }));
    expect(out.losses).toEqual(ref.losses);
    expect(out.w0).toEqual(ref.w0);
  });
});
