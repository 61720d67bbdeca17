/** @file The reference MLP training step (784-256-256-10, batch 128, softmax cross-entropy, Adam in the DSL): node and kernel counts. */
import { beforeAll, describe, expect, it } from "vitest";
import { fn, gradients, matmul, oneHot, logSoftmax, randomNormal, relu, sqrt, pow, tensor, variable, zeros, type Tensor, type Variable } from "../../src/index.js";
import { interpret, opDef, type Graph, type Node } from "../../src/ir/index.js";
import { lower, type Lowered } from "../../src/passes/pipeline.js";
import { planMemory } from "../../src/passes/memory.js";
import { explain } from "../../src/passes/explain.js";
import { mismatch } from "./helpers.js";

const SIZES = [784, 256, 256, 10];
const BATCH = 128;

/** Adam as a user writes it with the DSL: slots m and v per parameter, a step counter t. */
function makeStep(SIZES: readonly number[]) {
  const params: Variable[] = [];
  for (let i = 0; i < 3; i++) {
    params.push(variable(randomNormal([SIZES[i]!, SIZES[i + 1]!], { seed: 10 + i, stddev: 0.05 }), { name: `w${i + 1}` }));
    params.push(variable(zeros([SIZES[i + 1]!]), { name: `b${i + 1}` }));
  }
  const m = params.map((p) => variable(zeros(p.shape), { name: `${p.name}_m`, trainable: false }));
  const v = params.map((p) => variable(zeros(p.shape), { name: `${p.name}_v`, trainable: false }));
  const t = variable(0, { name: "t", trainable: false });
  const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-7];
  const step = (x: Tensor, y: Tensor): Tensor => {
    let h = x;
    for (let i = 0; i < 3; i++) {
      h = matmul(h, params[2 * i]!).add(params[2 * i + 1]!);
      if (i < 2) h = relu(h);
    }
    const loss = oneHot(y, SIZES[3]!).mul(logSoftmax(h)).sum(-1).mean().neg();
    const grads = gradients(loss, params);
    t.assign(t.add(1));
    const lrT = sqrt(pow(b2, t.value).neg().add(1)).mul(lr).div(pow(b1, t.value).neg().add(1));
    params.forEach((p, i) => {
      const g = grads[i]!;
      m[i]!.assign(m[i]!.mul(b1).add(g.mul(1 - b1)));
      v[i]!.assign(v[i]!.mul(b2).add(g.square().mul(1 - b2)));
      p.assign(p.sub(lrT.mul(m[i]!.value).div(sqrt(v[i]!.value).add(eps))));
    });
    return loss;
  };
  return { step, cells: [...params, ...m, ...v, t] };
}

/** Kernels of a fused stage: fusion nodes and any other node that does work (constants and reshape aliases do none). */
const isFree = (n: Node): boolean => opDef(n.op).kind === "source" || n.op === "reshape";
const kernelsOf = (g: Graph): Node[] => g.nodes.filter((n) => !isFree(n));
/** A kernel that only moves data: no arithmetic, no reduction, no matmul in it. */
const onlyCopies = (n: Node): boolean =>
  n.body ? n.body.nodes.every((m) => ["movement", "source", "barrier"].includes(opDef(m.op).kind)) : opDef(n.op).kind === "movement";

describe("reference MLP training step", () => {
  let L: Lowered;
  const setup = (sizes: readonly number[], batch: number) => {
    const made = makeStep(sizes);
    const f = fn(made.step, { backend: "interp" });
    const x = randomNormal([batch, sizes[0]!], { seed: 3 });
    const y = tensor(Array.from({ length: batch }, (_, i) => (i * 7) % sizes[3]!), [batch], "i32");
    f.trace(x, y);
    return { L: lower(f.graph("traced"), { verify: true }), cells: made.cells, inputs: [x.nd, y.nd] };
  };
  beforeAll(() => void ({ L } = setup(SIZES, BATCH)));

  it("prints node and kernel counts, and fuses into at most 15 kernels with 8 matmuls", () => {
    const { traced, grad, optimized, fused } = L.stages;
    const kernels = kernelsOf(fused!);
    const byKind = new Map<string, number>();
    for (const k of kernels) byKind.set(String(k.attrs["kind"] ?? k.op), (byKind.get(String(k.attrs["kind"] ?? k.op)) ?? 0) + 1);
    const plan = planMemory(fused!);
    console.log(
      `MLP 784-256-256-10, batch ${BATCH}, softmax CE, Adam: nodes traced ${traced.nodes.length}, grad ${grad!.nodes.length}, ` +
        `optimized ${optimized!.nodes.length}; fused stage ${kernels.length} kernels (${[...byKind].map(([k, c]) => `${c} ${k}`).join(", ")}); ` +
        `memory: arena ${plan.arenaBytes} B vs ${plan.unplannedBytes} B unplanned, peak ${plan.peakBytes} B, ${plan.stateInPlace}/${fused!.assigns.length} state updates in place`,
    );
    expect(optimized!.nodes.length).toBeLessThan(grad!.nodes.length);
    expect(byKind.get("matmul")).toBe(8);
    expect(kernels.length).toBeLessThanOrEqual(15);
    expect(kernels.filter(onlyCopies).map((k) => k.attrs["name"] ?? k.op)).toEqual([]);
    // every variable and slot is updated in place, and the arena is far smaller than one buffer per value
    expect(plan.stateInPlace).toBe(fused!.assigns.length);
    expect(plan.arenaBytes).toBeLessThan(plan.unplannedBytes / 4);
  });

  it("each Adam update is inside one kernel per parameter (m, v and the parameter written together)", () => {
    const fused = L.stages.fused!;
    const writer = new Map(fused.assigns.map((a) => [fused.state.find((s) => s.value === a.state)!.name, a.value.def]));
    for (const p of ["w1", "b1", "w2", "b2", "w3", "b3"]) {
      expect(writer.get(p), p).toBeDefined();
      expect(writer.get(`${p}_m`), p).toBe(writer.get(p));
      expect(writer.get(`${p}_v`), p).toBe(writer.get(p));
    }
  });

  // the same program at a size the interpreter runs in milliseconds: the passes do not depend on sizes
  it("the fused step computes what the unoptimized gradient stage computes", () => {
    const { L, cells, inputs } = setup([24, 16, 16, 10], 8);
    const st = cells.map((c) => c.read());
    const order = (g: Graph) => g.state.map((s) => st[cells.findIndex((c) => c.name === s.name)]!);
    const want = interpret(L.stages.grad!, inputs, order(L.stages.grad!));
    const got = interpret(L.stages.fused!, inputs, order(L.stages.fused!));
    const flat = (r: typeof want) => [...r.outputs, ...r.state].map((a) => Array.from(a.data));
    expect(mismatch(flat(want), flat(got), 1e-4, 1e-6)).toBeUndefined();
    expect(Number.isFinite(got.outputs[0]!.data[0]!)).toBe(true);
  });

  it("explain names every kernel and the reasons for what stayed apart", () => {
    const text = explain(L.stages.fused!);
    expect(text).toMatch(/fusion of @step: 15 kernels/);
    expect(text).toMatch(/not fused .*\(max\).*two passes over the data/);
    expect(text).toMatch(/memory plan @step/);
  });
});
