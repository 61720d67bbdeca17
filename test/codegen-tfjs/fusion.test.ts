/** @file Fusion regions on tfjs: matmul epilogues become tf.fused.matMul when they fit, everything agrees with the interpreter. */
import { beforeAll, describe, expect, it } from "vitest";
import { Builder, type Graph, type NDArray, type Value } from "../../src/ir/index.js";
import { initTfjs, type TfjsBackendName } from "../../src/runtime/tfjs.js";
import { expectSame, Gen, runInterp, runTfjs } from "./helpers.js";

beforeAll(() => initTfjs("wasm"));

type Make = (b: Builder, xs: Value[]) => Value[];

/** A graph whose only node is one fusion region of `kind` with the body `make` builds. */
function region(kind: string, ins: readonly NDArray[], make: Make): Graph {
  const bb = new Builder("body");
  const bx = ins.map((a) => bb.input({ dtype: a.dtype, shape: a.shape }));
  const body = bb.output(...make(bb, bx)).finish();
  const b = new Builder("main");
  const xs = ins.map((a) => b.input({ dtype: a.dtype, shape: a.shape }));
  return b.output(...b.emitMulti("fusion", xs, { kind, name: kind }, undefined, body)).finish();
}

const g = new Gen(11);
const X = g.f([6, 5]);
const W = g.f([5, 4]);
const Wt = g.f([4, 5]);
const Xt = g.f([5, 6]);
const bias = g.f([4]);
const bias2 = g.f([1, 4]);
const col = g.f([6, 1]);
const mm = (b: Builder, x: Value, w: Value, transposeA = false, transposeB = false) => b.emit("matmul", [x, w], { transposeA, transposeB });

/** name, inputs, body, and what the generated code must (or must not) contain on each layout. */
const PATTERNS: { name: string; ins: NDArray[]; make: Make; fused: RegExp | null; kind?: string }[] = [
  { name: "matmul + bias + relu", ins: [X, W, bias], make: (b, [x, w, c]) => [b.o.relu(b.o.add(mm(b, x!, w!), c!))], fused: /tf\.fused\.matMul\(\{[^}]*bias: in2, activation: "relu"/ },
  { name: "bias first, then sigmoid", ins: [X, W, bias], make: (b, [x, w, c]) => [b.o.sigmoid(b.o.add(c!, mm(b, x!, w!)))], fused: /activation: "sigmoid"/ },
  // tfjs-wasm's fused kernel reads the bias's rank from its storage (a reshape does not help): not fused
  { name: "matmul + [1,n] bias", ins: [X, W, bias2], make: (b, [x, w, c]) => [b.o.add(mm(b, x!, w!), c!)], fused: null },
  { name: "matmul + relu", ins: [X, W], make: (b, [x, w]) => [b.o.relu(mm(b, x!, w!))], fused: /tf\.fused\.matMul\(\{ a: in0, b: in1(, transposeA: false, transposeB: false)?, activation: "relu" \}\)/ },
  { name: "transposed operands + bias + relu", ins: [Xt, Wt, bias], make: (b, [x, w, c]) => [b.o.relu(b.o.add(mm(b, x!, w!, true, true), c!))], fused: /tf\.fused\.matMul/ },
  // a per-row bias is not what tfjs's fused bias means: plain matMul, then the add
  { name: "matmul + column (not a bias)", ins: [X, W, col], make: (b, [x, w, c]) => [b.o.add(mm(b, x!, w!), c!)], fused: null },
  // the pre-activation is needed too (relu's gradient): only the bias is fused
  { name: "pre-activation also an output", ins: [X, W, bias], make: (b, [x, w, c]) => { const z = b.o.add(mm(b, x!, w!), c!); return [b.o.relu(z), b.o.greater(z, 0)]; }, fused: /tf\.fused\.matMul\(\{[^}]*bias: in2 \}\)/ },
  { name: "matmul with a scaled epilogue", ins: [X, W], make: (b, [x, w]) => [b.o.mul(mm(b, x!, w!), 0.5)], fused: null },
  { name: "elementwise region", ins: [X, col], make: (b, [x, c]) => [b.o.tanh(b.o.sub(x!, c!)), b.o.exp(x!)], fused: null, kind: "elementwise" },
  { name: "reduce region", ins: [X], make: (b, [x]) => [b.o.sqrt(b.emit("sum", [b.o.square(x!)], { axes: [1], keepDims: true }))], fused: null, kind: "reduce" },
];

describe.each(["cpu", "wasm"] as TfjsBackendName[])("fusion patterns on tfjs %s", (backend) => {
  it.each(PATTERNS.map((p) => [p.name, p] as const))("%s", (_name, p) => {
    const graph = region(p.kind ?? "matmul", p.ins, p.make);
    const want = runInterp(graph, p.ins).outputs;
    const got = runTfjs(graph, p.ins, backend);
    want.forEach((w, i) => expectSame(got.outputs[i]!, w, `${p.name} output ${i}\n${got.source}`, 1e-5, 1e-5));
    if (p.fused) expect(got.source).toMatch(p.fused);
    else expect(got.source).not.toContain("tf.fused");
    // wasm: no transpose flags reach a matmul (explicit transposes instead); cpu keeps the flags
    if (backend === "wasm") expect(got.source).not.toMatch(/transposeA: true|transposeB: true|matMul\([^)]*, true/);
    if (backend === "cpu" && p.name.startsWith("transposed")) expect(got.source).toContain("transposeA: true, transposeB: true");
  });
});
