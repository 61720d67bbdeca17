/** @file fn(): signature cache, retrace reasons, LRU bound, state between calls, eager/traced parity, pytrees. */
import { describe, expect, it } from "vitest";
import * as g from "../../src/index.js";
import { fn, tensor, variable, type Tensor } from "../../src/index.js";
import { expectClose, expectRoundTrip } from "../ir/helpers.js";

const opts = { backend: "interp" } as const;
const arr = (t: Tensor): number[] => Array.from(t.dataSync());

describe("signature cache", () => {
  it("traces once per signature: repeated calls hit the cache", () => {
    let traced = 0;
    const f = fn((x: Tensor) => (traced++, x.mul(2).add(1)), opts);
    const x = tensor([1, 2, 3]);
    expect(arr(f(x))).toEqual([3, 5, 7]);
    expect(arr(f(tensor([0, 0, 1])))).toEqual([1, 1, 3]);
    expect(arr(f(x))).toEqual([3, 5, 7]);
    expect(traced).toBe(1);
    expect(f.traces).toHaveLength(1);
    expect(f.traces[0]!.reason).toBe("first call");
  });

  it("retraces on a new shape, a new dtype and a new static argument, saying what changed", () => {
    let traced = 0;
    const f = fn((x: Tensor, scale: number) => (traced++, x.mul(scale)), opts);
    f(tensor([1, 2]), 2);
    f(tensor([1, 2, 3]), 2); // shape
    f(tensor([1, 2], [2], "i32"), 2); // dtype
    f(tensor([1, 2]), 3); // static value
    f(tensor([1, 2]), 2); // seen before: cached
    expect(traced).toBe(4);
    const reasons = f.traces.map((t) => t.reason);
    expect(reasons[0]).toBe("first call");
    expect(reasons[1]).toBe("tensor argument 0: f32[2] -> f32[3] (new signature [T,2]|f32[3])");
    expect(reasons[2]).toBe("tensor argument 0: f32[3] -> i32[2] (new signature [T,2]|i32[2])");
    expect(reasons[3]).toBe("static arguments or structure [T,2] -> [T,3] (new signature [T,3]|f32[2])");
    // every reason names the new signature, so a user can see why it retraced
    f.traces.slice(1).forEach((t) => expect(t.reason).toContain(t.signature));
    expect(arr(f(tensor([1, 2], [2], "i32"), 2))).toEqual([2, 4]);
  });

  it("names the changed argument for multi-dimensional shapes and several tensors", () => {
    const f = fn((a: Tensor, b: Tensor) => a.matmul(b), opts);
    f(g.zeros([2, 3]), g.zeros([3, 4]));
    f(g.zeros([5, 3]), g.zeros([3, 4]));
    f(g.zeros([5, 3]), g.zeros([3, 1]));
    expect(f.traces.map((t) => t.reason.split(" (new signature")[0])).toEqual([
      "first call", "tensor argument 0: f32[2,3] -> f32[5,3]", "tensor argument 1: f32[3,4] -> f32[3,1]"]);
  });

  it("keeps at most maxSignatures traces (least recently used is dropped and retraced later)", () => {
    let traced = 0;
    const f = fn((x: Tensor) => (traced++, x.sum()), { ...opts, maxSignatures: 2 });
    const a = tensor([1]);
    const b = tensor([1, 2]);
    const c = tensor([1, 2, 3]);
    f(a);
    f(b);
    f(a); // a is now the most recently used
    f(c); // evicts b
    expect(traced).toBe(3);
    f(a); // still cached
    expect(traced).toBe(3);
    f(b); // evicted: traced again
    expect(traced).toBe(4);
    expect(f.traces).toHaveLength(4);
    expect(f.traces[3]!.signature).toBe(f.traces[1]!.signature);
    expect(f.traces[3]!.reason).toBe("signature [T]|f32[2] was dropped from the cache (maxSignatures=2) and is traced again");
  });

  it("ir() shows the most recently used signature's traced graph", () => {
    const f = fn(function scaled(x: Tensor) {
      return x.mul(3);
    }, opts);
    expect(() => f.ir()).toThrow(g.UsageError);
    f(tensor([1, 2]));
    expect(f.ir("traced", { locs: false })).toBe(
      "func @scaled(%0: f32[2]) -> (f32[2]) {\n  %1: f32[] = const {dtype=f32, shape=[], value=[3]}\n  %2: f32[2] = mul %0, %1\n  return %2\n}");
    f(tensor([[1], [2]]));
    expect(f.ir("traced", { locs: false })).toContain("%0: f32[2,1]");
    expect(f.graph("traced").inputs[0]!.shape).toEqual([2, 1]);
    expectRoundTrip(f.graph("traced"));
  });
});

describe("variables", () => {
  it("persist across calls: state is updated by assign and read by the next call", () => {
    const counter = variable(tensor(0), { name: "counter" });
    const total = variable(g.zeros([2]), { name: "total" });
    const step = fn((x: Tensor) => {
      counter.assign(counter.add(1));
      total.assign(total.add(x));
      return total.mul(2);
    }, opts);
    step(tensor([1, 2]));
    step(tensor([1, 2]));
    const out = step(tensor([10, 0]));
    expect(counter.item()).toBe(3);
    expect(arr(total)).toEqual([12, 4]);
    expect(arr(out)).toEqual([24, 8]); // reads after an assign see the new value
    expect(step.traces).toHaveLength(1);
    const ir = step.ir("traced", { locs: false });
    expect(ir).toContain(`state(%1: f32[] "counter", %2: f32[2] "total")`);
    expect(ir).toMatch(/assign %1, %\d+\n  assign %2, %\d+/);
    expectRoundTrip(step.graph("traced"));
  });

  it("assign then read inside one step: reads see the latest assignment, the graph keeps only the last", () => {
    const v = variable(tensor([1, 1]), { name: "v" });
    const step = fn(() => {
      const before = v.value;
      v.assign(v.mul(10)); // 10
      const mid = v.add(0); // reads 10
      v.assign(v.add(5)); // 15
      return { before, mid, after: v.value };
    }, opts);
    const r = step();
    expect(arr(r.before)).toEqual([1, 1]);
    expect(arr(r.mid)).toEqual([10, 10]);
    expect(arr(r.after)).toEqual([15, 15]);
    expect(arr(v)).toEqual([15, 15]);
    expect(step.graph("traced").assigns).toHaveLength(1);
    const r2 = step(); // state carried: 15 -> 150 -> 155
    expect(arr(r2.before)).toEqual([15, 15]);
    expect(arr(v)).toEqual([155, 155]);
  });

  it("eager assigns between compiled calls are seen by the next call", () => {
    const w = variable(tensor([2]), { name: "w_eager" });
    const f = fn((x: Tensor) => x.mul(w), opts);
    expect(arr(f(tensor([3])))).toEqual([6]);
    w.assign(tensor([5]));
    expect(arr(f(tensor([3])))).toEqual([15]);
    expect(f.traces).toHaveLength(1);
  });

  it("a variable passed as an argument stays a variable: state, not an input, and assignable", () => {
    const a = variable(tensor([1, 2]), { name: "arg_a" });
    const b = variable(tensor([10, 20]), { name: "arg_b" });
    const bump = fn((v: g.Variable, by: Tensor) => v.assign(v.add(by)).value, opts);
    expect(arr(bump(a, tensor([1, 1])))).toEqual([2, 3]);
    expect(arr(a)).toEqual([2, 3]);
    expect(bump.graph("traced").inputs).toHaveLength(1);
    expect(bump.graph("traced").state.map((s) => s.name)).toEqual(["arg_a"]);
    bump(b, tensor([1, 1])); // another variable: another signature (variables are static by identity)
    expect(arr(b)).toEqual([11, 21]);
    expect(bump.traces).toHaveLength(2);
    bump(a, tensor([1, 1]));
    expect(arr(a)).toEqual([3, 4]);
    expect(bump.traces).toHaveLength(2);
  });

  it("a compiled step called inside another step is inlined into the outer trace", () => {
    const inner = fn((x: Tensor) => x.mul(2), opts);
    const outer = fn((x: Tensor) => inner(x).add(1), opts);
    expect(arr(outer(tensor([1, 2])))).toEqual([3, 5]);
    expect(outer.ir("traced", { locs: false })).toContain("= mul %0");
    expect(inner.traces).toHaveLength(0);
  });

  it("frozen (non-trainable) variables print as frozen state", () => {
    const s = variable(tensor([0]), { name: "steps", trainable: false });
    const f = fn(() => s.assign(s.add(1)).value, opts);
    f();
    expect(f.ir("traced", { locs: false })).toContain(`"steps" frozen`);
    expectRoundTrip(f.graph("traced"));
  });
});

describe("eager and traced agree", () => {
  // a two-layer MLP with softmax cross-entropy, written once, run both ways
  const w1 = variable(g.randomNormal([6, 8], { seed: 11, stddev: 0.5 }), { name: "w1" });
  const b1 = variable(g.randomUniform([8], { seed: 12, minval: -0.1, maxval: 0.1 }), { name: "b1" });
  const w2 = variable(g.randomNormal([8, 3], { seed: 13, stddev: 0.5 }), { name: "w2" });
  const forward = (x: Tensor, labels: Tensor) => {
    const logits = x.matmul(w1).add(b1).relu().matmul(w2);
    const logp = g.logSoftmax(logits);
    const loss = logp.mul(g.oneHot(labels, 3)).sum(-1).neg().mean();
    const acc = logits.argmax(-1).equal(labels).cast("f32").mean();
    return { loss, acc, probs: g.softmax(logits) };
  };
  const x = g.randomNormal([5, 6], { seed: 14 });
  const labels = tensor([0, 2, 1, 1, 0], [5], "i32");

  it("MLP forward + loss: same numbers eagerly and through fn", () => {
    const eager = forward(x, labels);
    const step = fn(forward, opts);
    const traced = step(x, labels);
    expectClose(traced.loss.dataSync(), eager.loss.dataSync(), 1e-6, 1e-7);
    expectClose(traced.acc.dataSync(), eager.acc.dataSync());
    expectClose(traced.probs.dataSync(), eager.probs.dataSync(), 1e-6, 1e-7);
    expect(eager.loss.shape).toEqual([]);
    expect(eager.loss.item()).toBeGreaterThan(0);
    // rows of softmax sum to one
    expectClose(traced.probs.sum(-1).dataSync(), [1, 1, 1, 1, 1], 1e-6);
    expectRoundTrip(step.graph("traced"));
    // every node, including those made inside composites (logSoftmax, oneHot), records the user's line
    const locs = step.graph("traced").nodes.map((n) => n.loc ?? "");
    expect(locs.length).toBeGreaterThan(20);
    expect(locs.filter((l) => !/^test\/dsl\/tracing\.test\.ts:\d+$/.test(l))).toEqual([]);
  });

  it("seeded random ops give the same numbers eagerly and inside a step", () => {
    const eager = g.randomNormal([4], { seed: 5 });
    const f = fn(() => g.randomNormal([4], { seed: 5 }), opts);
    expect(arr(f())).toEqual(arr(eager));
    expect(arr(f())).toEqual(arr(eager)); // a fixed seed is a constant key: same numbers every call
  });
});

describe("pytrees", () => {
  it("nested arrays and objects of tensors go in and come out with their structure", () => {
    const f = fn((batch: { x: Tensor; pair: [Tensor, Tensor] }, cfg: { scale: number }) => ({
      y: batch.x.mul(cfg.scale),
      parts: [batch.pair[0].add(batch.pair[1]), batch.pair[1]],
      note: "static values pass through",
    }), opts);
    const out = f({ x: tensor([1, 2]), pair: [tensor([3]), tensor([4])] }, { scale: 10 });
    expect(arr(out.y)).toEqual([10, 20]);
    expect(arr(out.parts[0]!)).toEqual([7]);
    expect(arr(out.parts[1]!)).toEqual([4]);
    expect(out.note).toBe("static values pass through");
    expect(f.graph("traced").inputs).toHaveLength(3);
    // object keys are part of the structure; a different static config retraces
    f({ x: tensor([1, 2]), pair: [tensor([3]), tensor([4])] }, { scale: 10 });
    expect(f.traces).toHaveLength(1);
    f({ x: tensor([1, 2]), pair: [tensor([3]), tensor([4])] }, { scale: 2 });
    expect(f.traces).toHaveLength(2);
  });

  it("typed arrays are accepted as tensor arguments", () => {
    const f = fn((x: Tensor) => x.add(1), opts);
    expect(arr(f(new Float32Array([1, 2]) as unknown as Tensor))).toEqual([2, 3]);
  });
});
