/** @file The "onnx" backend: the optimized (pre-fusion) graph as one ONNX model, run by ONNX Runtime (onnxruntime-node).
 *
 * onnxruntime-node is an optional peer dependency, loaded on the first compile. Its public
 * `session.run` returns a Promise, but it is a wrapper that calls the native, synchronous
 * `run` of the binding on the next turn of the event loop (setImmediate). graft calls that
 * native session directly, so a step is synchronous like on every other backend: results are
 * ordinary tensors, `dataSync()` and `await data()` both work, and calls run in program order.
 * ORT still uses its intra-op thread pool inside a call (threads default to the cores).
 *
 * State is resident and double-buffered: each state tensor has two host buffers that ORT reads
 * (input) and writes (a pre-allocated output) directly; after a step the variable points at the
 * new one and the old one becomes the next step's output. Steady state allocates only the small
 * step outputs ORT returns.
 */
import { envVar, isMissing, MissingDependencyError, needNode, nodeBuiltin } from "../ir/platform.js";
import { GraftError, Graph, NaNError, OPS, UsageError, interpret, shapeStr, sizeOf, type DType, type NDArray, type Node, type Storage, type Value } from "../ir/index.js";
import { describeModel, encodeModel, lowerGraph, type LoweredOnnx } from "../codegen/onnx/index.js";
import { nodeCounts, registerBackend, type Backend, type BackendOptions, type Executable, type StateCell } from "./backend.js";

interface OrtTensor {
  readonly data: Storage;
  readonly dims: readonly number[];
}
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>, options: object): Record<string, OrtTensor>;
  dispose(): void;
}
interface Ort {
  readonly Tensor: new (type: string, data: Storage, dims: readonly number[]) => OrtTensor;
  readonly Session: new () => NativeSession;
}

let ort: Ort | undefined;

/** onnxruntime-node, loaded on first use; a GraftError naming the package when it is missing. */
export function loadOrt(): Ort {
  if (ort) return ort;
  // ONNX Runtime for Node is a native addon: there is no browser build of this backend
  const req = needNode("node:module", "the onnx backend (onnxruntime-node)").createRequire(import.meta.url);
  try {
    const common = req("onnxruntime-node") as { Tensor: Ort["Tensor"] };
    const b = req("onnxruntime-node/dist/binding.js") as { binding: { InferenceSession: Ort["Session"] }; initOrt(): void };
    b.initOrt();
    ort = { Tensor: common.Tensor, Session: b.binding.InferenceSession };
  } catch (e) {
    // its install script would download CUDA binaries: `onnxruntime-node-install=skip` in .npmrc keeps the bundled CPU library only
    if (isMissing(e, "onnxruntime-node")) throw new MissingDependencyError("onnxruntime-node", "the onnx backend", e);
    throw new UsageError(`the onnx backend could not load onnxruntime-node's native session: ${String(e).split("\n")[0]}`);
  }
  return ort;
}

const ORT_TYPE: Record<DType, string> = { f32: "float32", f64: "float64", i32: "int32", bool: "bool" };
const CTORS: Record<DType, new (n: number) => Storage> = { f32: Float32Array, f64: Float64Array, i32: Int32Array, bool: Uint8Array };

/** Where the random ops' keys come from: the nodes they depend on, run on the host by the interpreter. */
function keyGraph(g: Graph, hosts: readonly Node[]): Graph | undefined {
  if (!hosts.length) return undefined;
  const need = new Set<Node>();
  const visit = (v: Value): void => {
    if (v.def && !need.has(v.def)) {
      need.add(v.def);
      v.def.inputs.forEach(visit);
    }
  };
  hosts.forEach((n) => visit(n.inputs[0]!));
  return new Graph(`${g.name}_keys`, g.inputs, g.state, g.nodes.filter((n) => need.has(n)), hosts.map((n) => n.inputs[0]!), []);
}

/** The message of an ORT failure, with the IR line and user's line of the node it names. */
function explainOrtError(e: unknown, low: LoweredOnnx, what: string): GraftError {
  const msg = e instanceof Error ? e.message : String(e);
  const tag = /\b(v\d+)\.\d+\b/.exec(msg)?.[1];
  const node = tag ? low.model.graph.node.find((n) => n.name?.startsWith(`${tag}.`)) : undefined;
  const loc = node?.docString ? /\/\/ (\S+:\d+)\s*$/.exec(node.docString)?.[1] : undefined;
  return new GraftError(`onnx backend: ONNX Runtime failed ${what}: ${msg}${node ? `\n  in ${node.docString}` : ""}`, "onnx", loc);
}

export class OnnxExecutable implements Executable {
  private readonly session: NativeSession;
  private readonly spare: (Storage | undefined)[];
  private readonly owned = new WeakSet<Storage>();
  private readonly keys: Graph | undefined;
  readonly compileMs: number;

  constructor(private readonly g: Graph, readonly lowered: LoweredOnnx, private readonly stages: Parameters<Backend["compile"]>[0], private readonly opts: BackendOptions) {
    const t0 = performance.now();
    const { Session } = loadOrt();
    const bytes = encodeModel(lowered.model);
    this.session = new Session();
    const threads = resolveOrtThreads(opts["threads"]);
    try {
      this.session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
        executionMode: "sequential",
        // ORT's own log lines would reach the user's stderr unwrapped; its failures come back as GraftErrors instead
        logSeverityLevel: 4,
      });
    } catch (e) {
      throw explainOrtError(e, lowered, `loading the model of ${g.name}`);
    }
    this.bytes = bytes;
    this.spare = g.assigns.map(() => undefined);
    this.keys = keyGraph(g, lowered.hostInputs.map((h) => h.node));
    this.compileMs = performance.now() - t0;
  }

  /** The serialized model this executable runs. */
  readonly bytes: Uint8Array;

  private tensor(a: NDArray | undefined, dtype: DType, shape: readonly number[], what: string): OrtTensor {
    if (!a || a.data.length !== sizeOf(shape) || a.shape.length !== shape.length || a.shape.some((d, i) => d !== shape[i])) {
      throw new GraftError(`onnx backend: ${what} of ${this.g.name} expects ${dtype}${shapeStr(shape)}, got ${a ? `${a.dtype}${shapeStr(a.shape)}` : "nothing"}`, "shape");
    }
    let data = a.data;
    if (!(data instanceof CTORS[dtype])) (data = new CTORS[dtype](a.data.length)).set(a.data);
    return new (loadOrt().Tensor)(ORT_TYPE[dtype], data, shape);
  }

  run(inputs: readonly NDArray[], cells: readonly StateCell[]): NDArray[] {
    const { g, lowered: low } = this;
    const { Tensor } = loadOrt();
    const feeds: Record<string, OrtTensor> = {};
    g.inputs.forEach((v, i) => (feeds[low.inputs[i]!] = this.tensor(inputs[i], v.dtype, v.shape, `input ${i}`)));
    const stateArrays = cells.map((c, j) => {
      const t = g.state[j]!.value.type;
      const a = c.read();
      const ok = a.data instanceof CTORS[t.dtype] && a.data.length === sizeOf(t.shape);
      const data = ok ? a.data : this.tensor(a, t.dtype, t.shape, `state '${g.state[j]!.name}'`).data;
      feeds[low.stateIn[j]!] = new Tensor(ORT_TYPE[t.dtype], data, t.shape);
      return data;
    });
    if (this.keys) {
      const keys = interpret(this.keys, inputs, cells.map((c) => c.read())).outputs;
      low.hostInputs.forEach((h, k) => {
        const out = h.node.outputs[0]!.type;
        const bits = OPS[h.node.op as "random_uniform"].interpret([keys[k]!], h.node.attrs as never, out, false);
        feeds[h.name] = new Tensor(ORT_TYPE[out.dtype], bits.data, out.shape);
      });
    }
    const fetches: Record<string, OrtTensor | null> = {};
    for (const o of low.outputs) fetches[o] = null;
    const next = low.stateOut.map((s, k) => {
      const t = g.state[s.state]!.value.type;
      let buf = this.spare[k];
      if (!buf || buf === stateArrays[s.state]) this.owned.add((buf = new CTORS[t.dtype](sizeOf(t.shape))));
      fetches[s.name] = new Tensor(ORT_TYPE[t.dtype], buf, t.shape);
      return buf;
    });
    let res: Record<string, OrtTensor>;
    try {
      res = this.session.run(feeds, fetches, {});
    } catch (e) {
      throw explainOrtError(e, low, `running ${g.name}`);
    }
    const outs = low.outputs.map((name, i) => ({ dtype: g.outputs[i]!.dtype, shape: [...g.outputs[i]!.shape], data: res[name]!.data }));
    // swap: the variable takes the buffer ORT just wrote; its old one (if ours) is the next output
    low.stateOut.forEach((s, k) => {
      const t = g.state[s.state]!.value.type;
      const old = stateArrays[s.state]!;
      cells[s.state]!.write({ dtype: t.dtype, shape: t.shape, data: next[k]! });
      this.spare[k] = this.owned.has(old) ? old : undefined;
    });
    if (this.opts.checkNumerics) this.check(outs, next);
    return outs;
  }

  private check(outs: readonly NDArray[], next: readonly Storage[]): void {
    const bad = (d: Storage) => d.findIndex((x) => x - x !== 0);
    outs.forEach((o, i) => {
      const k = bad(o.data);
      if (k >= 0) throw new NaNError(`checked run: output ${i} of ${this.g.name} has ${Number.isNaN(o.data[k]) ? "NaN" : "Inf"} at element ${k} (onnx backend)`, this.g.outputs[i]!.def?.loc);
    });
    next.forEach((d, i) => {
      const k = bad(d);
      const a = this.g.assigns[i]!;
      if (k >= 0) throw new NaNError(`checked run: the new value of state '${this.lowered.stateOut[i]!.name}' has ${Number.isNaN(d[k]) ? "NaN" : "Inf"} at element ${k} (onnx backend)`, a.value.def?.loc);
    });
  }

  source(): string {
    return describeModel(this.lowered.model);
  }

  stats() {
    const stateBytes = this.g.state.reduce((s, p) => s + sizeOf(p.value.shape) * (p.value.dtype === "f64" ? 8 : p.value.dtype === "bool" ? 1 : 4), 0);
    return { backend: "onnx", nodes: nodeCounts(this.stages), kernels: this.lowered.model.graph.node.length, bytes: 2 * stateBytes };
  }
}

/** intraOpNumThreads: the `threads` option, else GRAFT_THREADS, else the machine's cores. */
export function resolveOrtThreads(opt: unknown): number {
  const env = envVar("GRAFT_THREADS");
  const cores = nodeBuiltin("node:os")?.availableParallelism() ?? 1;
  const v: unknown = opt ?? (env === undefined || env === "" || env === "auto" ? cores : /^\d+$/.test(env) ? Number(env) : env);
  if (v === "auto") return cores;
  if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 256) return v;
  throw new UsageError(`onnx backend: threads must be an integer from 1 to 256 or "auto", got ${JSON.stringify(v)}`);
}

export const onnxBackend: Backend = {
  name: "onnx",
  compile(stages, opts) {
    const g = stages.optimized ?? stages.grad ?? stages.traced;
    if (opts.outputs === "tfjs") throw new UsageError(`outputs: "tfjs" needs backend "tfjs"`);
    return new OnnxExecutable(g, lowerGraph(g, { docString: `graft step ${g.name}` }), stages, opts);
  },
};

registerBackend(onnxBackend);
