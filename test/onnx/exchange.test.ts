/** @file Export -> import -> interpret round trips, unknown ops reported at once, and bad input as GraftErrors. */
import { describe, expect, it } from "vitest";
import { exportONNX, fn, GraftError, importONNX, losses, matmul, mean, optimizers, tensor, variable, type Tensor } from "../../src/index.js";
import { Builder, interpret, nd } from "../../src/ir/index.js";
import { decodeModel, encodeModel, lowerGraph } from "../../src/codegen/onnx/index.js";
import { lowerStages } from "../../src/passes/pipeline.js";
import { expectClose, randomArray, rng } from "../codegen-js/harness.js";
import { checkerAvailable, checkModels, runOnnx } from "./helpers.js";

const r = rng(5);
const randn = (shape: number[]): Tensor => tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape);

function trainStep() {
  const w = variable(randn([4, 3]), { name: "w" });
  const b = variable(tensor([0.1, -0.2, 0.3]), { name: "b" });
  const opt = new optimizers.Adam({ learningRate: 0.05 });
  const step = fn((x: Tensor, y: Tensor) => opt.minimize(() => mean(losses.meanSquaredError(y, matmul(x, w).add(b).tanh())), [w, b]), { name: "train" });
  return { w, b, opt, step };
}

describe("export -> import -> interpret", () => {
  it("a training step comes back as the same function: outputs and every state update", () => {
    const { step } = trainStep();
    const x = randn([6, 4]), y = randn([6, 3]);
    const bytes = exportONNX(step, x, y);
    const orig = step.graph("optimized");
    const back = importONNX(bytes).graph;
    expect(back.inputs.length).toBe(2);
    expect(back.state.map((s) => s.name)).toEqual(orig.state.map((s) => s.name));
    expect(back.assigns.length).toBe(orig.assigns.length);
    const state = orig.state.map((s, i) => randomArray(s.value.type, s.value.dtype === "i32" ? "int" : "pos", rng(i + 1)));
    const ins = [x, y].map((t) => nd(t.dtype, t.shape, t.dataSync()));
    const want = interpret(orig, ins, state);
    const got = interpret(back, ins, state);
    want.outputs.forEach((o, i) => expectClose(got.outputs[i]!, o, `output ${i}`, 1e-5, 1e-6));
    want.state.forEach((s, i) => expectClose(got.state[i]!, s, `state ${orig.state[i]!.name}`, 1e-5, 1e-6));
  });

  it("an imported model is differentiable and fine-tunes with graft's optimizers (weights from initializers become variables)", () => {
    // a forward model whose weights are constants, as models exported elsewhere have them
    const b = new Builder("forward");
    const x = b.input({ dtype: "f32", shape: [5, 2] });
    const w = b.emit("const", [], { dtype: "f32", shape: [2, 1], value: [0.5, -1] });
    b.output(b.emit("matmul", [x, w]));
    const bytes = encodeModel(lowerGraph(b.finish()).model);
    const m = importONNX(bytes, { initializersAsState: true });
    expect(m.variables.map((v) => Array.from(v.dataSync()))).toEqual([[0.5, -1]]);
    const xs = randn([5, 2]);
    const target = matmul(xs, tensor([[2], [1]]));
    const opt = new optimizers.SGD({ learningRate: 0.2 });
    const step = fn((a: Tensor, t: Tensor) => opt.minimize(() => mean(losses.meanSquaredError(t, m.call(a)[0]!)), m.variables));
    const first = step(xs, target).item();
    let last = first;
    for (let i = 0; i < 60; i++) last = step(xs, target).item();
    expect(last).toBeLessThan(first * 0.05);
    expect(Array.from(m.variables[0]!.dataSync()).map((v) => Math.round(v * 10) / 10)).toEqual([2, 1]);
  });

  it("importing a model with ops graft lacks lists every one of them at once", () => {
    const { step } = trainStep();
    const m = decodeModel(exportONNX(step, randn([6, 4]), randn([6, 3])));
    m.graph.node[0]!.opType = "Conv";
    m.graph.node[1]!.opType = "LSTM";
    m.graph.node[2]!.opType = "Conv";
    const bad = encodeModel(m);
    expect(() => importONNX(bad)).toThrow(GraftError);
    expect(() => importONNX(bad)).toThrow(/2 ONNX op type\(s\) have no graft equivalent:\n {2}Conv \(2 node\(s\): .*\n {2}LSTM \(1 node/);
  });
});

describe("bad input", () => {
  it("a graph with an op that has no ONNX form: names the op, its types and the user's line", () => {
    const { step } = trainStep();
    step(randn([6, 4]), randn([6, 3]));
    const fused = step.graph("fused");
    let err: unknown;
    try {
      lowerGraph(fused);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GraftError);
    expect(String((err as Error).message)).toMatch(/op\(s\) have no ONNX form:\n {2}fusion \(f32\[6,4\].*: fused regions exist only in the fused stage.*\(at test\/onnx\/exchange\.test\.ts:\d+\)/);
  });

  it("an unsupported dtype in an imported model names the input and its element type", () => {
    const b = new Builder("g");
    b.output(b.o.neg(b.input({ dtype: "f32", shape: [2] })));
    const m = lowerGraph(b.finish()).model;
    m.graph.input[0]!.type!.tensorType!.elemType = 10; // float16
    expect(() => importONNX(encodeModel(m))).toThrow(/input 'input_0' has element type 10, which graft does not have/);
  });

  it("a wrong feed shape at run time names the input, both shapes and the step", () => {
    const b = new Builder("feed");
    b.output(b.o.exp(b.input({ dtype: "f32", shape: [2, 3] })));
    const g = b.finish();
    const { exec } = runOnnx(g, [nd("f32", [2, 3], [1, 2, 3, 4, 5, 6])]);
    expect(() => exec.run([nd("f32", [3, 2], [1, 2, 3, 4, 5, 6])], [])).toThrow(GraftError);
    expect(() => exec.run([nd("f32", [3, 2], [1, 2, 3, 4, 5, 6])], [])).toThrow(/input 0 of feed expects f32\[2,3\], got f32\[3,2\]/);
  });

  it("an ORT failure while running is a GraftError with the IR line and the user's line, never a raw ORT error", () => {
    const idx = tensor([0, 7], [2], "int32");
    const table = variable(randn([3, 2]), { name: "table" });
    const look = fn((i: Tensor) => table.gather(i).sum(), { backend: "onnx" });
    let err: unknown;
    try {
      look(idx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GraftError);
    expect((err as GraftError).message).toMatch(/onnx backend: ONNX Runtime failed running .*\n {2}in %\d+: f32\[2,2\] = gather/);
    expect((err as GraftError).loc).toMatch(/exchange\.test\.ts:\d+/);
  });

  it("the ONNX checker used by the tests does reject a broken model", () => {
    if (!checkerAvailable()) return;
    const b = new Builder("g");
    b.output(b.o.neg(b.input({ dtype: "f32", shape: [2] })));
    const m = lowerGraph(b.finish()).model;
    m.graph.node[0]!.opType = "NotAnOnnxOp";
    expect(checkModels([{ name: "broken", bytes: encodeModel(m) }])).toEqual([expect.stringMatching(/^broken: .*NotAnOnnxOp/)]);
  });

  it("lowers and runs the default pipeline's optimized stage (not the fused one)", () => {
    const b = new Builder("opt");
    const x = b.input({ dtype: "f32", shape: [3] });
    b.output(b.o.add(b.o.mul(x, 2), 1));
    const st = lowerStages(b.finish());
    const got = runOnnx(st.optimized!, [nd("f32", [3], [1, 2, 3])]);
    expect(Array.from(got.outputs[0]!.data)).toEqual([3, 5, 7]);
  });
});
