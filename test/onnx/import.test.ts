/** @file importONNX on a model graft did not write (PyTorch-style ops and defaults), checked against ONNX Runtime running the same bytes. */
import { describe, expect, it } from "vitest";
import { importONNX } from "../../src/index.js";
import { interpret, nd } from "../../src/ir/index.js";
import { encodeModel, type ModelMsg } from "../../src/codegen/onnx/index.js";
import type { AttrMsg } from "../../src/codegen/onnx/proto.js";
import { rawBytes, valueInfo } from "../../src/codegen/onnx/lower.js";
import { loadOrt } from "../../src/runtime/onnx.js";
import { expectClose, rng } from "../codegen-js/harness.js";
import { checkModels } from "./helpers.js";

const r = rng(3);
const rand = (n: number) => Array.from({ length: n }, () => r() * 2 - 1);
const tensorMsg = (name: string, dataType: number, dims: number[], values: number[]) =>
  ({ name, dataType, dims, rawData: rawBytes(dataType === 1 ? "f32" : "i64", values, dims.reduce((a, b) => a * b, 1)) });
const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
const int = (name: string, v: number) => ({ name, type: 2, i: v });
const flt = (name: string, v: number) => ({ name, type: 1, f: v });

/** x[2,3,4] -> Reshape(-1 keeps batch) -> Gemm(transB, alpha, C) -> Relu -> Softmax -> outputs: probs, mean (keepdims default), argmax, a Constant-shifted slice. */
function foreignModel(): ModelMsg {
  const node = (opType: string, input: string[], output: string[], attribute: AttrMsg[] = []) => ({ opType, input, output, name: output[0], attribute });
  return {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "hand-built",
    graph: {
      name: "foreign",
      input: [valueInfo("x", "f32", [2, 3, 4])],
      initializer: [tensorMsg("W", 1, [5, 12], rand(60)), tensorMsg("B", 1, [5], rand(5)), tensorMsg("shape", 7, [2], [0, -1]), tensorMsg("starts", 7, [1], [1]), tensorMsg("ends", 7, [1], [-1]), tensorMsg("axes", 7, [1], [1])],
      node: [
        node("Reshape", ["x", "shape"], ["flat"]),
        node("Gemm", ["flat", "W", "B"], ["h"], [int("transB", 1), flt("alpha", 0.5), flt("beta", 2)]),
        node("Relu", ["h"], ["a"]),
        node("Softmax", ["a"], ["probs"], [int("axis", -1)]),
        node("ReduceMean", ["h"], ["m"], [ints("axes", [-1])]),
        node("ArgMax", ["h"], ["am"], [int("axis", 1)]),
        node("Constant", [], ["k"], [{ name: "value", type: 4, t: tensorMsg("", 1, [], [0.25]) }]),
        node("Slice", ["h", "starts", "ends", "axes"], ["s0"]),
        node("Sub", ["s0", "k"], ["s"]),
        node("LogSoftmax", ["s"], ["ls"], [int("axis", 0)]),
      ],
      output: [valueInfo("probs", "f32", [2, 5]), valueInfo("m", "f32", [2, 1]), { name: "am", type: { tensorType: { elemType: 7, shape: { dim: [{ dimValue: 2 }, { dimValue: 1 }] } } } }, valueInfo("ls", "f32", [2, 3])],
    },
  };
}

describe("importONNX of a model made elsewhere", () => {
  it("gives ONNX Runtime's numbers for every output (ORT running the same bytes is the oracle)", () => {
    const bytes = encodeModel(foreignModel());
    expect(checkModels([{ name: "foreign", bytes }])).toEqual([]);
    const x = rand(24);
    const { Session, Tensor } = loadOrt() as unknown as { Session: new () => { loadModel(b: ArrayBufferLike, o: number, l: number, opts: object): void; run(f: object, fe: object, o: object): Record<string, { data: ArrayLike<number | bigint> }> }; Tensor: new (t: string, d: unknown, s: number[]) => unknown };
    const s = new Session();
    s.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {});
    const want = s.run({ x: new Tensor("float32", Float32Array.from(x), [2, 3, 4]) }, { probs: null, m: null, am: null, ls: null }, {});
    const m = importONNX(bytes);
    const got = interpret(m.graph, [nd("f32", [2, 3, 4], x)]).outputs;
    expect(got.map((o) => o.shape)).toEqual([[2, 5], [2, 1], [2, 1], [2, 3]]);
    ["probs", "m", "am", "ls"].forEach((name, i) => {
      const w = Array.from(want[name]!.data, Number);
      expectClose(got[i]!, nd(got[i]!.dtype, got[i]!.shape, w), `output ${name}`, 1e-5, 1e-6);
    });
  });
});
