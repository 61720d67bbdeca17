/** @file Assembles a step for the wasm backend: one Wasm module (a function per kernel), the memory plan as offsets in one linear memory, and the JS that calls it.
 *
 * Lowering and the memory plan are the js backend's (src/codegen/js: lower.ts, memory.ts), so the
 * two backends fuse and share buffers identically. Each kernel becomes a Wasm function over byte
 * pointers when this folder has a form for it (fused loops, matmul, matmul + epilogue); the rest
 * (movement copies, gather/scatter, argmax, random, integer division, ...) run as the js backend's
 * kernels on typed-array views of the same linear memory, so nothing is copied between the two.
 * Layout: [matmul scratch][pooled buffers][inputs][state][constants], each 16-byte aligned. State
 * lives in its slots between calls; inputs are copied in, outputs copied out.
 */
import { Namer, sizeOf, UsageError, type Graph, type TensorType, type Value } from "../../ir/index.js";
import type { MatmulAttrs } from "../../ir/ops/index.js";
import { broadcastStrides, stridesOf } from "../../ir/shape.js";
import { matmulDims } from "../../ir/ops/contract.js";
import { lowerGraph, ValueNames, type Kernel } from "../js/lower.js";
import { planMemory, type MemoryPlan } from "../js/memory.js";
import { kernelOf, Unsupported } from "../js/fused.js";
import { RUNTIME_HELPERS } from "../js/program.js";
import { ARRAY_CTOR, commentSafe, indent } from "../js/text.js";
import { encodeModule, Func, Op, T, type Import } from "./encode.js";
import { BYTES, emitLoopWasm } from "./loops.js";
import { emitMatmul, matmulScratch, matmulSupported } from "./matmul.js";
import { HOST_MATH, type HostFn } from "./ops.js";

export interface WasmKernelInfo {
  readonly name: string;
  readonly title: string;
  readonly loc?: string;
  readonly ir: string;
  /** "wasm" (a function of the module; "wasm simd" when its loop is vectorized) or "js" (and why). */
  readonly runs: string;
}

export interface WasmProgram {
  /** Body of `function (rt)` (rt: the js runtime helpers, `memory`, `exports`, `check`, `now`); returns `{ step, prof, state }`. */
  readonly source: string;
  readonly module: Uint8Array;
  /** Linear memory size in bytes (a multiple of 64 KiB). */
  readonly memoryBytes: number;
  readonly kernels: readonly WasmKernelInfo[];
  readonly inputs: readonly TensorType[];
  readonly state: ReadonlyArray<{ readonly name: string; readonly type: TensorType }>;
  readonly outputs: readonly TensorType[];
  readonly plan: MemoryPlan;
  readonly notes: readonly string[];
  /** Kernels whose product rows may split across threads: kernel index -> rows (M) and multiply-adds. */
  readonly threadable: ReadonlyMap<number, { readonly rows: number; readonly work: number }>;
  readonly threads: number;
  readonly shared: boolean;
  /** Where thread t's matmul scratch starts: SCRATCH0 + t * scratchBytes. */
  readonly scratch: { readonly at: number; readonly bytes: number };
  /** Names of the exported functions, in export order (helpers look jobs up by index). */
  readonly exports: readonly string[];
}

export const HOST_NAMES = Object.keys(HOST_MATH) as HostFn[];
const hostIndex = (n: HostFn): number => HOST_NAMES.indexOf(n);
const align = (n: number): number => Math.ceil(n / 16) * 16;
const SCRATCH0 = 16;

interface WasmKernel {
  /** The kernel (after `rowsFn`, when there is one: a matmul fusion's epilogue). */
  readonly fn?: Func;
  /** Rows [r0, r1) of a product: params (kernel pointers..., r0, r1, scratch), split across threads. */
  readonly rowsFn?: Func;
  readonly temps: readonly Value[];
  readonly runs: string;
  readonly rows?: number;
  readonly work?: number;
}

/** The Wasm function for one matmul node's product into pointer param `outParam`; params of `fn` hold the operands. */
function matmulCalls(f: Func, mmIndex: number, a: Value, b: Value, out: Value, t: MatmulAttrs, pa: number, pb: number, pc: number, r0: number, r1: number, scratch: number): void {
  const { m, k, n, batch } = matmulDims(a.type, b.type, t);
  const E = BYTES[out.dtype];
  const count = sizeOf(batch);
  const bsa = batch.length ? broadcastStrides(a.shape.slice(0, -2), batch).map((s) => s * m * k) : [];
  const bsb = batch.length ? broadcastStrides(b.shape.slice(0, -2), batch).map((s) => s * k * n) : [];
  const bst = stridesOf(batch);
  if (count > 256) throw new Unsupported("more than 256 batched products");
  for (let p = 0; p < count; p++) {
    const idx = bst.map((s, d) => Math.floor(p / s) % batch[d]!);
    const oa = idx.reduce((acc, x, d) => acc + x * bsa[d]!, 0);
    const ob = idx.reduce((acc, x, d) => acc + x * bsb[d]!, 0);
    f.get(pa).i32(oa * E).op(Op.i32_add).get(pb).i32(ob * E).op(Op.i32_add).get(pc).i32(p * m * n * E).op(Op.i32_add).get(scratch).get(r0).get(r1).call(mmIndex);
  }
}

export interface WasmProgramOptions {
  readonly profile?: boolean;
  readonly checkNumerics?: boolean;
  readonly stage?: string;
  /** Threads that may run product rows at once (each gets its own matmul scratch). */
  readonly threads?: number;
  /** Import the memory as shared (threads need it). */
  readonly shared?: boolean;
}

export function generateWasm(g: Graph, opts: WasmProgramOptions = {}): WasmProgram {
  const namer = new Namer(g);
  const names = new ValueNames(namer, g);
  const low = lowerGraph(g, names);
  const root = (v: Value): Value => {
    let r = v;
    for (let a = low.alias.get(r); a; a = low.alias.get(r)) r = a;
    return r;
  };
  const funcs: { name: string; fn: Func }[] = [];
  const addFunc = (name: string, fn: Func): number => funcs.push({ name, fn }) - 1 + HOST_NAMES.length;
  const notes = [...low.notes];
  let scratch = 0;
  const threadable = new Map<number, { rows: number; work: number }>();

  const matmulFn = (a: Value, b: Value, out: Value, t: MatmulAttrs, tag: string): number => {
    if (!matmulSupported(out.dtype)) throw new Unsupported(`${out.dtype} matmul runs as the js kernel`);
    const { m, k, n } = matmulDims(a.type, b.type, t);
    const shape = { dtype: out.dtype, M: m, K: k, N: n, sAi: t.transposeA ? 1 : k, sAk: t.transposeA ? m : 1, sBk: t.transposeB ? 1 : n, sBj: t.transposeB ? k : 1 };
    scratch = Math.max(scratch, matmulScratch(shape));
    return addFunc(`${tag}_mm`, emitMatmul(shape));
  };

  /** A Wasm function for kernel `k` (params: ins, outs, temps as pointers, then r0, r1 for matmuls), or why not. */
  const tryWasm = (k: Kernel, ki: number): WasmKernel | string => {
    const src = k.src;
    if (!src) return "a copy or index kernel";
    try {
      if (src.kind === "loop") {
        const { fn, simd } = emitLoopWasm(src.spec, hostIndex);
        return { fn, temps: [], runs: simd ? "wasm simd" : "wasm" };
      }
      if (src.kind === "matmul") {
        const n = src.node;
        const [a, b] = n.inputs;
        const t = n.attrs as unknown as MatmulAttrs;
        const mm = matmulFn(a!, b!, n.outputs[0]!, t, `k${ki}`);
        const f = new Func([T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], []);
        matmulCalls(f, mm, a!, b!, n.outputs[0]!, t, 0, 1, 2, 3, 4, 5);
        const { m, k: kk, n: nn } = matmulDims(a!.type, b!.type, t);
        return { rowsFn: f, temps: [], runs: "wasm simd", rows: m, work: m * kk * nn };
      }
      // matmul + epilogue: the product into an output nothing is written in place over, else a temporary
      const body = src.region;
      const mm = body.nodes[0];
      if (!mm || kernelOf(mm) !== "matmul" || body.nodes.slice(1).some((bn) => kernelOf(bn) === "matmul")) throw new Unsupported("a matmul region must start with its one matmul");
      const mv = mm.outputs[0]!;
      const pi = mm.inputs.map((v) => body.inputs.indexOf(v));
      if (pi.some((i) => i < 0)) throw new Unsupported("matmul operands must be region inputs");
      const rest = body.outputs.map((o, j) => [o, j] as const).filter(([o]) => o !== mv);
      const nIn = body.inputs.length;
      const nOut = body.outputs.length;
      const temps: Value[] = [];
      let target = body.outputs.indexOf(mv);
      if (target < 0) target = body.outputs.findIndex((o, j) => o.dtype === mv.dtype && sizeOf(o.shape) === sizeOf(mv.shape) && !k.inplace.some(([, q]) => q === j));
      const targetParam = target >= 0 ? nIn + target : nIn + nOut;
      if (target < 0) temps.push(mv);
      const t = mm.attrs as unknown as MatmulAttrs;
      const mmi = matmulFn(mm.inputs[0]!, mm.inputs[1]!, mv, t, `k${ki}`);
      const epi = body.nodes.length > 1 || rest.length ? emitLoopWasm({ inputs: [...body.inputs, mv], nodes: body.nodes.slice(1), outputs: rest.map(([o]) => o) }, hostIndex) : undefined;
      const epiIndex = epi ? addFunc(`k${ki}_epilogue`, epi.fn) : -1;
      const nParams = nIn + nOut + temps.length;
      const rowsFn = new Func([...Array.from({ length: nParams }, () => T.i32), T.i32, T.i32, T.i32], []);
      const { m, k: kk, n } = matmulDims(mm.inputs[0]!.type, mm.inputs[1]!.type, t);
      matmulCalls(rowsFn, mmi, mm.inputs[0]!, mm.inputs[1]!, mv, t, pi[0]!, pi[1]!, targetParam, nParams, nParams + 1, nParams + 2);
      let f: Func | undefined;
      if (epi) {
        f = new Func(Array.from({ length: nParams }, () => T.i32), []);
        for (let i = 0; i < nIn; i++) f.get(i);
        f.get(targetParam);
        for (const [, j] of rest) f.get(nIn + j);
        f.call(epiIndex);
      }
      return { rowsFn, ...(f ? { fn: f } : {}), temps, runs: epi?.simd ? "wasm simd" : "wasm", rows: m, work: m * kk * n };
    } catch (e) {
      if (e instanceof Unsupported) return e.message;
      throw e;
    }
  };

  const wk = low.kernels.map((k, i) => tryWasm(k, i));
  const exportIndex = new Map<number, string>();
  wk.forEach((w, i) => {
    if (typeof w === "string") return;
    if (w.rowsFn) addFunc(`k${i}_rows`, w.rowsFn);
    if (w.fn) addFunc(`k${i}`, w.fn);
    exportIndex.set(i, `k${i}`);
    if (w.rowsFn) threadable.set(i, { rows: w.rows!, work: w.work ?? 0 });
  });
  const tempsOf = (i: number): readonly Value[] => {
    const w = wk[i]!;
    return typeof w === "string" ? low.kernels[i]!.temps ?? [] : w.temps;
  };
  const planKernels = low.kernels.map((k, i) => ({ ins: k.ins, outs: [...k.outs, ...tempsOf(i)], inplace: k.inplace }));
  const plan = planMemory(g, planKernels, root, new Set(low.sources.keys()), low.assigns);

  // layout
  const threads = Math.max(1, opts.threads ?? 1);
  const scratchBytes = align(scratch);
  let top = align(SCRATCH0 + scratchBytes * threads);
  const bufferAt = plan.buffers.map((b) => {
    const at = top;
    top = align(top + b);
    return at;
  });
  const place = (bytes: number): number => {
    const at = top;
    top = align(top + Math.max(bytes, 1));
    return at;
  };
  const inputAt = g.inputs.map((v) => place(sizeOf(v.shape) * BYTES[v.dtype]));
  const stateAt = g.state.map((s) => place(sizeOf(s.value.shape) * BYTES[s.value.dtype]));
  const sourceAt = new Map<Value, number>();
  for (const [v, h] of plan.home) if (h.kind === "source") sourceAt.set(v, place(sizeOf(v.shape) * BYTES[v.dtype]));
  const offsetOf = (v: Value): number => {
    const r = root(v);
    const h = plan.home.get(r);
    if (!h) throw new UsageError(`wasm codegen: no home for ${namer.name(r)}`);
    switch (h.kind) {
      case "pool": return bufferAt[h.buffer]!;
      case "input": return inputAt[h.index]!;
      case "state": return stateAt[h.index]!;
      case "source": return sourceAt.get(r)!;
    }
  };
  const pages = Math.max(1, Math.ceil(top / 65536));
  if (pages > 65536) throw new UsageError(`wasm backend: the step needs ${top} bytes of linear memory (more than 4 GiB)`);
  const imports: Import[] = HOST_NAMES.map((n) => ({ module: "math", name: n, params: n === "pow" ? [T.f64, T.f64] : [T.f64], results: [T.f64] }));
  const module = encodeModule({ pages, maxPages: pages, shared: !!opts.shared, imports, funcs });

  // the JS side: views of linear memory, host kernels, the step
  const stateName = (i: number): string => names.name(g.state[i]!.value);
  const arr = (v: Value): string => {
    const r = root(v);
    const h = plan.home.get(r);
    if (h?.kind === "state") return stateName(h.index);
    if (h?.kind === "input") return names.name(g.inputs[h.index]!);
    return names.name(r);
  };
  const L: string[] = [];
  L.push(`// graft wasm backend: @${commentSafe(g.name)}${opts.stage ? `, stage "${opts.stage}"` : ""}: ${low.kernels.length} kernels (${exportIndex.size} in Wasm), ${top} bytes of linear memory`);
  for (const note of notes) L.push(`// note: ${commentSafe(note)}`);
  L.push(`"use strict";`, `const { ${RUNTIME_HELPERS.join(", ")} } = rt;`, `const buf = rt.memory.buffer;`, `const W = rt.exports;`);
  const viewed = new Set<Value>();
  const view = (v: Value, name: string, at: number, what: string): void => {
    L.push(`const ${name} = new ${ARRAY_CTOR[v.dtype]}(buf, ${at}, ${sizeOf(v.shape)}); // ${commentSafe(what)} @${at}`);
  };
  g.inputs.forEach((v, i) => {
    view(v, names.name(v), inputAt[i]!, `input ${namer.name(v)}`);
    viewed.add(v);
  });
  g.state.forEach((s, i) => {
    view(s.value, stateName(i), stateAt[i]!, `state ${JSON.stringify(s.name)}`);
    viewed.add(s.value);
  });
  for (const [v, h] of plan.home) {
    if (viewed.has(v) || h.kind === "input" || h.kind === "state") continue;
    view(v, names.name(v), offsetOf(v), `${namer.name(v).startsWith("%?") ? "" : namer.name(v) + ": "}${v.dtype}[${v.shape}]`);
    if (h.kind === "source") L.push(`${names.name(v)}.set(${low.sources.get(v)});`);
  }
  for (const [name, init] of low.statics) L.push(`const ${name} = ${init};`);
  for (const s of plan.snapshots) L.push(`const ${names.name(s)}_old = new ${ARRAY_CTOR[s.dtype]}(${sizeOf(s.shape)});`);
  if (opts.profile) L.push(`const prof = new Float64Array(${low.kernels.length});`);

  const calls = low.kernels.map((k, i) => {
    const values = [...k.ins, ...k.outs, ...tempsOf(i)];
    const args = values.map(arr);
    if (exportIndex.has(i)) {
      const ptrs = values.map(offsetOf);
      const t = threadable.get(i);
      const w = wk[i] as WasmKernel;
      const call = [t ? `rt.rows(${i}, "k${i}_rows", ${t.rows}, ${t.work}, ${ptrs.join(", ")});` : "", w.fn ? `W.k${i}(${ptrs.join(", ")});` : ""].filter(Boolean).join(" ");
      return { text: [] as string[], call };
    }
    const params = [...k.ins.map((_, j) => `x${j}`), ...k.outs.map((_, j) => `y${j}`), ...(k.temps ?? []).map((_, j) => `w${j}`)];
    const keep = params.filter((_, j) => args.indexOf(args[j]!) === j);
    let body = k.body;
    params.forEach((p, j) => {
      const first = args.indexOf(args[j]!);
      if (first !== j) body = body.replace(new RegExp(`\\b${p}\\b`, "g"), params[first]!);
    });
    return { text: [...k.comment.map((c) => `// ${c}`), `function ${k.name}(${keep.join(", ")}) {`, indent(body), "}"], call: `${k.name}(${[...new Set(args)].join(", ")});` };
  });
  L.push("", "// kernels the module does not have (they run on views of its memory)");
  for (const c of calls) L.push(...c.text);
  L.push("", "function step(ins) {");
  const S: string[] = [];
  g.inputs.forEach((v, i) => S.push(`${names.name(v)}.set(ins[${i}]);`));
  for (const s of plan.snapshots) S.push(`${names.name(s)}_old.set(${names.name(s)});`);
  if (opts.profile) S.push("let t0 = now(), t1 = 0;");
  low.kernels.forEach((k, i) => {
    S.push(`${calls[i]!.call} // ${commentSafe(k.name)}`);
    if (opts.profile) S.push(`t1 = now(); prof[${i}] += t1 - t0; t0 = t1;`);
    if (opts.checkNumerics) for (const o of k.outs) if (o.dtype === "f32" || o.dtype === "f64") S.push(`rt.check(${arr(o)}, ${i});`);
  });
  g.outputs.forEach((v, i) => S.push(`const r${i} = ${arr(v)}.slice();`));
  const snap = new Set(plan.snapshots);
  for (const c of plan.copies) S.push(`${stateName(c.state)}.set(${snap.has(c.from) ? `${names.name(c.from)}_old` : arr(c.from)});`);
  S.push(`return [${g.outputs.map((_, i) => `r${i}`).join(", ")}];`);
  L.push(indent(S.join("\n")), "}");
  L.push(`return { step, prof: ${opts.profile ? "prof" : "null"}, state: [${g.state.map((_, i) => stateName(i)).join(", ")}] };`);

  return {
    source: L.join("\n"),
    module,
    memoryBytes: pages * 65536,
    kernels: low.kernels.map((k, i) => ({ name: k.name, title: k.title, ir: k.comment.join("\n"), runs: typeof wk[i] === "string" ? `js (${wk[i]})` : (wk[i] as WasmKernel).runs, ...(k.loc ? { loc: k.loc } : {}) })),
    inputs: g.inputs.map((v) => v.type),
    state: g.state.map((s) => ({ name: s.name, type: s.value.type })),
    outputs: g.outputs.map((v) => v.type),
    plan,
    notes,
    threadable,
    scratch: { at: SCRATCH0, bytes: scratchBytes },
    threads,
    shared: !!opts.shared,
    exports: funcs.map((f) => f.name),
  };
}
