/** @file Graph pictures in-process: DOT structure (clusters wired to the outer graph, escaping), gradient provenance, and the progress bar. */
import { describe, expect, it } from "vitest";
import { fn, gradients, matmul, mean, square, tensor, variable, type Tensor } from "../../src/index.js";
import { Builder, type Graph } from "../../src/ir/index.js";
import { toDot } from "../../src/ir/dot.js";
import { gradientNodes } from "../../src/runtime/provenance.js";
import { STAGES, type Stages } from "../../src/passes/pipeline.js";
import { dotToSvg } from "../../src/cli/svg.js";
import { progress } from "../../src/cli/progress.js";
import { readDot } from "./helpers.js";

/** out = relu(x + w) as one fused elementwise kernel, w a state with a hostile name, then assign w <- out. */
function fusedGraph(): Graph {
  const body = new Builder("add_relu");
  const bx = body.input({ dtype: "f32", shape: [2, 3] });
  const bw = body.input({ dtype: "f32", shape: [2, 3] });
  body.output(body.o.relu(body.o.add(bx, bw)));
  const b = new Builder("step");
  const x = b.input({ dtype: "f32", shape: [2, 3] });
  const w = b.stateParam({ dtype: "f32", shape: [2, 3] }, 'w"1\\n', true);
  const y = b.o.exp(x);
  const [out] = b.emitMulti("fusion", [y, w], { kind: "elementwise", name: "add_relu" }, "model.ts:7", body.finish());
  b.output(out!);
  b.assign(w, out!);
  return b.finish();
}

describe("toDot", () => {
  it("draws a fused kernel as a cluster whose members read the outer producers", () => {
    const dot = readDot(toDot(fusedGraph()));
    expect(dot.clusters).toEqual(["cluster_k0"]);
    const members = dot.nodes.filter((n) => n.cluster === "cluster_k0");
    expect(members.map((n) => n.label)).toEqual(["add\nf32[2,3]", "%3 = relu\nf32[2,3]"]);
    const id = (label: string): string => dot.nodes.find((n) => n.label.startsWith(label))!.id;
    // exp (outside) and the state feed the body's add; relu (inside) feeds return and the assign
    expect(dot.edges).toContainEqual([id("%2 = exp"), members[0]!.id]);
    expect(dot.edges).toContainEqual([id('w"1'), members[0]!.id]);
    expect(dot.edges).toContainEqual([members[1]!.id, "out"]);
    expect(dot.edges).toContainEqual([members[1]!.id, "as0"]);
    expect(dot.edges).toContainEqual(["as0", id('w"1')]);
    expect(dot.nodes.find((n) => n.cls === "assign")!.label).toBe('assign w"1\\n');
  });

  it("escapes user strings and renders with Graphviz", async () => {
    const text = toDot(fusedGraph());
    expect(text).toContain('label="w\\"1\\\\n\\n%1: f32[2,3]"');
    const svg = await dotToSvg(text);
    expect(svg).toContain("<title>cluster_k0</title>");
    expect([...svg.matchAll(/class="node (\w+)"/g)].map((m) => m[1]).sort()).toEqual(["assign", "input", "op", "op", "op", "output", "state"]);
  });
});

describe("gradient provenance", () => {
  it("marks what autodiff made, not the forward pass nor the user's update after gradients()", () => {
    const w = variable(tensor([[1, 2], [3, 4], [5, 6]]), { name: "w" });
    const step = fn((x: Tensor) => {
      const loss = mean(square(matmul(x, w).tanh()));
      const [g] = gradients(loss, [w]);
      w.assign(w.sub(g!.mul(0.5)));
      return loss;
    }, { backend: "interp" });
    step.trace(tensor([[1, 0, 2]]));
    const stages = Object.fromEntries(STAGES.flatMap((s) => { try { return [[s, step.graph(s)]]; } catch { return []; } })) as unknown as Stages;
    const made = gradientNodes(stages);
    const grad = stages.grad!;
    const tag = (n: Graph["nodes"][number]): string => `${n.op}${n.attrs.transposeA ? "^T" : ""}:${made.grad!.has(n) ? "grad" : "fwd"}`;
    const tags = grad.nodes.filter((n) => n.op !== "const").map(tag);
    expect(tags.slice(0, 4)).toEqual(["matmul:fwd", "tanh:fwd", "square:fwd", "mean:fwd"]);
    expect(tags).toContain("matmul^T:grad"); // dW = x^T dY
    expect(tags.slice(-2)).toEqual(["mul:fwd", "sub:fwd"]); // the SGD update is the user's code
    // later stages classify every node, body members included, and keep the forward matmul forward
    for (const s of ["optimized", "fused"] as const) {
      const g = stages[s];
      if (!g) continue;
      const all = g.nodes.flatMap((n) => (n.body ? n.body.nodes : [n]));
      const mm = all.filter((n) => n.op === "matmul");
      expect(mm.filter((n) => !made[s]!.has(n)).length, s).toBe(1);
      expect(mm.filter((n) => made[s]!.has(n)).length, s).toBeGreaterThan(0);
    }
  });
});

describe("progress", () => {
  const sink = (isTTY: boolean) => {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY, columns: 80, write: (s: string) => void chunks.push(s) } };
  };

  it("prints a few lines into a pipe or file", () => {
    const { chunks, stream } = sink(false);
    let t = 0;
    const p = progress("train", 8, { stream, now: () => (t += 1000) });
    for (let i = 0; i < 8; i++) p.tick(1, `loss ${i}`);
    p.done();
    expect(chunks.map((c) => c.split(" ").slice(0, 3).join(" "))).toEqual(["train: 25% 2/8", "train: 50% 4/8", "train: 75% 6/8", "train: 100% 8/8"]);
    expect(chunks[3]).toContain("loss 7");
  });

  it("redraws one line on a terminal, at most ten times a second, and ends it", () => {
    const { chunks, stream } = sink(true);
    let t = 0;
    const p = progress("check", 4, { stream, now: () => t });
    p.tick(); // drawn
    p.tick(); // within 100 ms: skipped
    t = 500;
    p.tick();
    p.done();
    expect(chunks.filter((c) => c.startsWith("\r")).length).toBe(3);
    expect(chunks[0]).toMatch(/^\rcheck \[=*>? *\] 1\/4/);
    expect(chunks.at(-2)).toMatch(/^\rcheck \[=+> *\] 3\/4/);
    expect(chunks.at(-1)).toBe("\n");
  });

  it("GRAFT_PROGRESS=0 silences it", () => {
    const saved = process.env.GRAFT_PROGRESS;
    process.env.GRAFT_PROGRESS = "0";
    try {
      const { chunks, stream } = sink(true);
      const p = progress("x", 2, { stream });
      p.tick(2);
      p.done();
      expect(chunks).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.GRAFT_PROGRESS;
      else process.env.GRAFT_PROGRESS = saved;
    }
  });
});
