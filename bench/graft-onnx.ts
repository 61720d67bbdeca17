/** @file The ONNX section of the report: ORT's per-call overhead on a tiny step, W1's compile phases on the onnx
 * backend, and where W1's time goes inside ORT (its own profiler, per op type). */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fn, tensor, variable, type Tensor } from "../src/index.js";
import { encodeModel, lowerGraph } from "../src/codegen/onnx/index.js";
import { loadOrt } from "../src/runtime/onnx.js";
import type { MlpCase } from "./peers/mlp.js";
import type { ExtraSection } from "./report.js";
import { graftMlp } from "./graft-mlp.js";

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const time = (f: () => void): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};

/** Median µs per call of a one-state step (y = sum(w * x); w <- w * 0.5) on a backend. */
function tinyCallUs(backend: string, calls: number): number {
  const w = variable(tensor([1, 2, 3, 4]), { name: "w" });
  const step = fn((x: Tensor) => {
    w.assign(w.mul(0.5));
    return w.mul(x).sum();
  }, { backend, name: "tiny" });
  const x = tensor([1, 1, 1, 1]);
  for (let i = 0; i < 200; i++) step(x);
  return median(Array.from({ length: 5 }, () => time(() => { for (let i = 0; i < calls; i++) step(x); }))) / calls * 1000;
}

export async function onnxSection(c: MlpCase, mode: string, log: (l: string) => void): Promise<ExtraSection> {
  const calls = mode === "tiny" ? 50 : 1000;
  const rows: string[][] = [];
  const js = tinyCallUs("js", calls), onnx = tinyCallUs("onnx", calls);
  rows.push(["tiny step (4 floats, one state), per call", `graft onnx ${onnx.toFixed(1)} µs`, `graft js ${js.toFixed(1)} µs (ORT adds ${(onnx - js).toFixed(1)} µs)`]);
  log(`ONNX  tiny step: onnx ${onnx.toFixed(1)} µs/call, js ${js.toFixed(1)} µs/call`);

  // W1's step: lower (IR -> ModelProto), encode (protobufjs), create (ORT session from memory)
  const m = graftMlp(c);
  const x = tensor(c.batch.x, [c.shape.batch, c.shape.sizes[0]!]), y = tensor(c.batch.y, [c.shape.batch], "i32");
  const step = m.compile({ backend: "onnx" });
  step.trace(x, y);
  const g = step.graph("optimized");
  const { Session, Tensor } = loadOrt() as unknown as { Session: new () => { loadModel(b: ArrayBufferLike, o: number, l: number, opts: object): void; run(f: object, fe: object, o: object): Record<string, unknown>; endProfiling(): string }; Tensor: new (t: string, d: unknown, s: readonly number[]) => unknown };
  const phases = { lower: [] as number[], encode: [] as number[], create: [] as number[] };
  let low = lowerGraph(g), bytes = encodeModel(low.model);
  for (let i = 0; i < (mode === "tiny" ? 1 : 5); i++) {
    phases.lower.push(time(() => (low = lowerGraph(g))));
    phases.encode.push(time(() => (bytes = encodeModel(low.model))));
    phases.create.push(time(() => new Session().loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, { intraOpNumThreads: 2, graphOptimizationLevel: "all" })));
  }
  const [l, e, s] = [median(phases.lower), median(phases.encode), median(phases.create)];
  rows.push(["W1 compile on onnx (after tracing and optimizing)", `${(l + e + s).toFixed(1)} ms`, `lower ${l.toFixed(1)} + encode ${e.toFixed(1)} + session ${s.toFixed(1)} ms; ${low.model.graph.node.length} ONNX nodes, ${(bytes.length / 1e6).toFixed(2)} MB`]);

  // ORT's profiler on W1: kernel time per op type
  const prefix = path.join(tmpdir(), `graft-ort-prof-${process.pid}`);
  const sess = new Session();
  sess.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, { intraOpNumThreads: 2, graphOptimizationLevel: "all", enableProfiling: true, profileFilePrefix: prefix });
  const feeds: Record<string, unknown> = {};
  const ortType = (d: string) => (d === "i32" ? "int32" : "float32");
  g.inputs.forEach((v, i) => (feeds[low.inputs[i]!] = new Tensor(ortType(v.dtype), i === 0 ? c.batch.x : c.batch.y, v.shape)));
  g.state.forEach((st, i) => {
    const n = st.value.shape.reduce((a, b) => a * b, 1);
    feeds[low.stateIn[i]!] = new Tensor(ortType(st.value.dtype), st.value.dtype === "i32" ? new Int32Array(n).fill(1) : new Float32Array(n).fill(0.01), st.value.shape);
  });
  const fetches: Record<string, null> = {};
  [...low.outputs, ...low.stateOut.map((o) => o.name)].forEach((o) => (fetches[o] = null));
  const runs = mode === "tiny" ? 2 : 20;
  for (let i = 0; i < runs; i++) sess.run(feeds, fetches, {});
  const file = sess.endProfiling();
  const byType = new Map<string, { us: number; nodes: number }>();
  let runUs = 0;
  for (const ev of JSON.parse(readFileSync(file, "utf8")) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[]) {
    if (ev.cat === "Node" && ev.name.endsWith("_kernel_time")) {
      const k = ev.args?.op_name ?? "?";
      const a = byType.get(k) ?? { us: 0, nodes: 0 };
      a.us += ev.dur;
      a.nodes++;
      byType.set(k, a);
    } else if (ev.cat === "Session" && ev.name === "model_run") runUs += ev.dur;
  }
  rmSync(file, { force: true });
  const kernelUs = [...byType.values()].reduce((a, b) => a + b.us, 0);
  rows.push(["W1 in ORT (profiler, per run)", `${(runUs / runs / 1000).toFixed(2)} ms`, `kernels ${(kernelUs / runs / 1000).toFixed(2)} ms`]);
  for (const [k, v] of [...byType].sort((a, b) => b[1].us - a[1].us).slice(0, 8)) {
    rows.push([`  ${k}`, `${(v.us / runs / 1000).toFixed(2)} ms (${((100 * v.us) / kernelUs).toFixed(0)}%)`, `${v.nodes / runs} node(s)`]);
  }
  return {
    id: "ONNX",
    title: "ONNX Runtime (graft onnx): per-call overhead, compile phases, where W1's time goes",
    head: ["what", "time", "detail"],
    rows,
    notes: [
      "The onnx backend calls ORT's native session synchronously; the per-call row is the whole graft call (feeds, run, state swap) minus nothing. " +
        "W1's kernels split between the 8 Gemms (forward and backward matmuls) and ~100 small elementwise nodes (Add, Mul, Sub, Sqrt, Div, Where): " +
        "the Adam update and the relu/softmax backward. ORT's CPU provider does not fuse general elementwise chains, so each is its own pass over memory; " +
        "concatenating the parameters' updates would cut node launches, not memory passes, and was not done.",
    ],
    data: { tinyUs: { onnx, js }, compileMs: { lower: l, encode: e, create: s }, profile: Object.fromEntries(byType) },
  };
}
