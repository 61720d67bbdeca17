/** @file The js runtime: steady state allocates nothing, outputs are not overwritten, state in place, errors, profile, source. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import * as G from "../../src/index.js";
import { formatProfile } from "../../src/runtime/js.js";

const ROOT = join(__dirname, "..", "..");

describe("steady state", () => {
  it("allocates no buffers per step (and the measurement catches one that does)", () => {
    const out = execFileSync(process.execPath, ["--expose-gc", "--max-semi-space-size=128", "--import", "tsx", join(__dirname, "fixtures", "alloc-child.ts")], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    const r = JSON.parse(out) as Record<"fn" | "executable" | "bigTemp" | "smallTemp", { arrayBuffers: number; heap: number }> & { threadJobs: number };
    // the measured steps ran their big matmuls on two threads (copies into shared scratch included)
    expect(r.threadJobs, "matmul blocks handed to the helper thread").toBeGreaterThan(0);
    expect(r.fn.arrayBuffers, "ArrayBuffer bytes per step through fn").toBe(0);
    expect(r.executable.arrayBuffers, "ArrayBuffer bytes per step, executable alone").toBe(0);
    // what remains is small garbage: output wrappers, the loss copy, fn's signature key
    expect(r.executable.heap, "JS heap bytes per step, executable alone").toBeLessThan(4096);
    expect(r.fn.heap, "JS heap bytes per step through fn").toBeLessThan(16384);
    // the same measurement sees a 32 KiB and a 256 B per-step typed array
    expect(r.bigTemp.arrayBuffers).toBeGreaterThanOrEqual(32768);
    expect(r.smallTemp.arrayBuffers).toBeGreaterThanOrEqual(256);
  });

  it("outputs are fresh arrays: the next step does not overwrite what the caller holds", () => {
    const w = G.variable(G.tensor([1, 2, 3]));
    const f = G.fn((x: G.Tensor) => {
      const y = x.mul(w);
      w.assign(w.add(1));
      return [y, w.value];
    }, { backend: "js" });
    const [a, wa] = f(G.tensor([1, 1, 1])) as G.Tensor[];
    const [b] = f(G.tensor([2, 2, 2])) as G.Tensor[];
    expect(a!.arraySync()).toEqual([1, 2, 3]);
    // w.value after the assign is the new value, returned as a copy the next step leaves alone
    expect(wa!.arraySync()).toEqual([2, 3, 4]);
    expect(b!.arraySync()).toEqual([4, 6, 8]);
    expect(w.arraySync()).toEqual([3, 4, 5]);
  });

  it("updates variables in place: the variable's own array is written", () => {
    const w = G.variable(G.tensor([1, 2, 3, 4]), { name: "w_inplace" });
    const before = w.read().data;
    const f = G.fn((x: G.Tensor) => void w.assign(w.mul(x)), { backend: "js" });
    f(G.tensor([2, 2, 2, 2]));
    f(G.tensor([1, 1, 1, 3]));
    expect(w.read().data).toBe(before);
    expect([...before]).toEqual([2, 4, 6, 24]);
    expect(f.source()).not.toContain(".set(");
  });
});

describe("inputs", () => {
  it("accepts graft tensors, typed arrays and tfjs tensors, and eager assigns between steps", async () => {
    await tf.setBackend("cpu");
    const w = G.variable(G.tensor([1, 1, 1]));
    const f = G.fn((x: G.Tensor) => G.sum(x.mul(w)), { backend: "js" });
    expect(f(G.tensor([1, 2, 3])).item()).toBe(6);
    expect(f(new Float32Array([1, 2, 4]) as unknown as G.Tensor).item()).toBe(7);
    const t = tf.tensor1d([2, 2, 2]);
    expect(f(t as unknown as G.Tensor).item()).toBe(6);
    t.dispose();
    w.assign(G.tensor([0, 0, 10]));
    expect(f(G.tensor([1, 2, 3])).item()).toBe(30);
  });
});

describe("errors", () => {
  it("a gather index out of range is a GraftError naming the kernel and the user's line", () => {
    const f = G.fn((x: G.Tensor, i: G.Tensor) => G.gather(x, i), { backend: "js" });
    const x = G.tensor([[1, 2], [3, 4]]);
    expect(f(x, G.tensor([1, 0], [2], "i32")).arraySync()).toEqual([[3, 4], [1, 2]]);
    let err: unknown;
    try {
      f(x, G.tensor([0, 5], [2], "i32"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(G.GraftError);
    expect(String((err as Error).message)).toMatch(/gather: index 5 is out of range \[0, 2\)[\s\S]*kernel k\d+_gather[\s\S]*runtime\.test\.ts:\d+/);
  });

  it("checkNumerics names the kernel that made a NaN", () => {
    const f = G.fn((x: G.Tensor) => G.log(x).mul(2), { backend: "js", checkNumerics: true });
    expect((f(G.tensor([1, 2])).arraySync() as number[])[0]).toBe(0);
    expect(() => f(G.tensor([1, -2]))).toThrow(G.NaNError);
    expect(() => f(G.tensor([1, -2]))).toThrow(/produced NaN at element 1[\s\S]*runtime\.test\.ts/);
  });
});

describe("profile, stats and source", () => {
  it("profiles every kernel, and prints the table", () => {
    const f = G.fn((a: G.Tensor, b: G.Tensor) => G.relu(G.matmul(a, b).add(1)).sum(), { backend: "js", profile: true });
    const a = G.randomNormal([32, 16], { seed: 1 });
    const b = G.randomNormal([16, 8], { seed: 2 });
    for (let i = 0; i < 5; i++) f(a, b);
    const p = f.stats().profile!;
    expect(p.length).toBe(f.stats().kernels);
    expect(p.every((k) => k.calls === 5 && k.ms >= 0)).toBe(true);
    const text = formatProfile(p);
    expect(text).toMatch(/total: .* ms over 5 calls/);
    expect(text).toMatch(/k0_matmul_add_relu/);
  });

  it("source names kernels after the fused ops, quotes the IR, never splices names; stats count buffers", () => {
    const w = G.variable(G.ones([4, 3]), { name: "evil */ name \u2028 \"); process.exit(1); //" });
    const f = G.fn((x: G.Tensor) => {
      const y = G.reshape(G.matmul(x, w), [6]);
      const old = w.value;
      w.assign(w.mul(0.5));
      // returning the old value forces an end-of-step copy, whose comment names the variable
      return [G.tanh(y).mul(2), old];
    }, { backend: "js" });
    expect((f(G.ones([2, 4])) as G.Tensor[])[0]!.arraySync()).toHaveLength(6);
    const src = f.source();
    expect(src).toMatch(/^\/\/ %\d+: f32\[2,3\] = fusion .*kind="matmul"/m);
    expect(src).toMatch(/function k\d+_matmul\(/);
    expect(src).toMatch(/function k\d+_tanh_mul\(/);
    expect(src).toMatch(/\.set\(.*\/\/ assign "evil/);
    // the reshape is an alias: no kernel and no copy
    expect(src).not.toMatch(/function k\d+_reshape/);
    // the variable's name appears only inside a JSON string or a comment, on one line
    for (const line of src.split("\n").filter((l) => l.includes("evil"))) {
      const c = line.indexOf("//");
      expect(c >= 0 && c < line.indexOf("evil"), line).toBe(true);
    }
    expect(src).not.toContain("\u2028");
    const s = f.stats();
    expect(s.backend).toBe("js");
    expect(s.bytes).toBeGreaterThan(0);
    expect(s.nodes.fused).toBeGreaterThan(0);
  });
});
