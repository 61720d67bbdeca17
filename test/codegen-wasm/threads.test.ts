/** @file wasm threads: 1 and 2 threads give the same bits, helpers never keep the process alive, and a step called 10,000 times holds its memory. */
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { Builder, nd } from "../../src/ir/index.js";
import { lowerStages } from "../../src/passes/pipeline.js";
import { wasmBackend } from "../../src/runtime/wasm.js";
import { stopWasmThreads, wasmThreadStats } from "../../src/runtime/wasm-threads.js";
import { randomArray, rng } from "../codegen-js/harness.js";
import { ResidentCell } from "./harness.js";

function mlpLayer(m: number, k: number, n: number) {
  const b = new Builder("layer");
  const x = b.input({ dtype: "f32", shape: [m, k] });
  const w = b.input({ dtype: "f32", shape: [k, n] });
  const h = b.emit("relu", [b.o.add(b.emit("matmul", [x, w], { transposeA: false, transposeB: false }), 0.1)]);
  b.output(h, b.emit("matmul", [x, h], { transposeA: true, transposeB: false }));
  return b.finish();
}

describe("wasm threads", () => {
  it("1 and 2 threads: identical bits, on every call (the pool measures both ways)", async () => {
    const g = lowerStages(mlpLayer(200, 300, 260));
    const r = rng(5);
    const ins = [randomArray({ dtype: "f32", shape: [200, 300] }, "float", r), randomArray({ dtype: "f32", shape: [300, 260] }, "float", r)];
    const one = wasmBackend.compile(g, { threads: 1 }).run(ins, []);
    const two = wasmBackend.compile(g, { threads: 2 });
    for (let t = 0; t < 500 && wasmThreadStats().ready < 1; t++) await new Promise((res) => setTimeout(res, 10)); // the helper starts
    for (let i = 0; i < 12; i++) {
      const got = two.run(ins, []);
      got.forEach((o, j) => expect(Array.from(o.data)).toEqual(Array.from(one[j]!.data)));
    }
    expect(wasmThreadStats().jobs).toBeGreaterThan(0); // rows really ran on the helper
    await stopWasmThreads();
    expect(wasmThreadStats().helpers).toBe(0);
  });

  it("a bad thread count is a usage error", () => {
    expect(() => wasmBackend.compile({ traced: mlpLayer(2, 2, 2) }, { threads: 0 })).toThrow(/threads must be an integer/);
  });

  it("helpers are unref'd: a script that ran threaded steps exits by itself", () => {
    const script = `
      import { fn, tensor } from "./src/index.ts";
      const f = fn((a, b) => a.matmul(b).relu(), { backend: "wasm", threads: 2 });
      const a = tensor(Float32Array.from({ length: 65536 }, (_, i) => Math.sin(i)), [256, 256]), b = tensor(Float32Array.from({ length: 65536 }, (_, i) => Math.cos(i)), [256, 256]);
      for (let i = 0; i < 20; i++) f(a, b).dataSync();
      console.log("done");`;
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd(), timeout: 60000, encoding: "utf8" });
    expect(out.trim()).toBe("done");
  });

  it("10,000 calls of a stateful step: state stays resident, memory does not grow", () => {
    const b = new Builder("acc");
    const x = b.input({ dtype: "f32", shape: [64] });
    const s = b.stateParam({ dtype: "f32", shape: [64] }, "s");
    const next = b.o.add(b.o.mul(s, 0.5), x);
    b.assign(s, next);
    b.output(b.emit("sum", [next], { axes: [0], keepDims: false }));
    const exec = wasmBackend.compile(lowerStages(b.finish()), {});
    const cell = new ResidentCell("s", nd("f32", [64], new Float32Array(64)));
    const input = nd("f32", [64], Float32Array.from({ length: 64 }, (_, i) => i / 64));
    const before = exec.stats().bytes;
    let heap = 0;
    for (let i = 0; i < 10000; i++) {
      exec.run([input], [cell]);
      if (i === 1000) heap = process.memoryUsage().heapUsed;
    }
    expect(exec.stats().bytes).toBe(before);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(8 << 20);
    // s converges to 2x: s = 0.5 s + x
    const final = cell.read().data;
    for (let i = 0; i < 64; i++) expect(final[i]).toBeCloseTo((2 * i) / 64, 5);
  });
});
