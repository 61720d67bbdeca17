/** @file Assembles a whole step as JS source: the memory plan's buffers, constants, kernels, and the step that calls them.
 *
 * The source is the body of `function (rt) { ... }`: instantiating it allocates every buffer once
 * and returns `{ step, prof }`. `step(ins, state)` takes the input arrays and the state arrays (in
 * graph order), runs the kernels, updates the state arrays in place, and returns fresh copies of
 * the outputs (so nothing a caller holds is overwritten by the next step). The same text is what
 * `source()` shows and what AOT modules embed.
 */
import { Namer, sizeOf, type Graph, type TensorType, type Value } from "../../ir/index.js";
import { lowerGraph, ValueNames } from "./lower.js";
import { planMemory, type MemoryPlan } from "./memory.js";
import { ARRAY_CTOR, BYTES, commentSafe, indent } from "./text.js";

export interface JsProgramOptions {
  /** Time every kernel: `prof[k]` accumulates milliseconds. */
  readonly profile?: boolean;
  /** Call `rt.check(array, kernel)` on every float output of every kernel. */
  readonly checkNumerics?: boolean;
  /** Which stage the graph is (shown in the header). */
  readonly stage?: string;
}

export interface KernelInfo {
  readonly name: string;
  readonly title: string;
  readonly loc?: string;
  /** The IR the kernel came from. */
  readonly ir: string;
}

export interface JsProgram {
  /** Body of `function (rt)`; returns `{ step, prof }`. */
  readonly source: string;
  readonly kernels: readonly KernelInfo[];
  /** Bytes held between steps: pooled buffers, constants and scratch. */
  readonly bytes: number;
  readonly inputs: readonly TensorType[];
  readonly state: ReadonlyArray<{ readonly name: string; readonly type: TensorType }>;
  readonly outputs: readonly TensorType[];
  readonly plan: MemoryPlan;
  /** Fusion regions that were split, and why. */
  readonly notes: readonly string[];
}

/** The helpers of src/runtime/aot-runtime.ts that generated code may call. */
export const RUNTIME_HELPERS = ["matmul", "gather", "scatterAdd", "argmax", "iota", "randomUniform", "randomNormal", "now"] as const;

const mib = (b: number): string => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

export function generateJs(g: Graph, opts: JsProgramOptions = {}): JsProgram {
  const namer = new Namer(g);
  const names = new ValueNames(namer, g);
  const low = lowerGraph(g, names);
  const root = (v: Value): Value => {
    let r = v;
    for (let a = low.alias.get(r); a; a = low.alias.get(r)) r = a;
    return r;
  };
  const planKernels = low.kernels.map((k) => ({ ins: k.ins, outs: [...k.outs, ...(k.temps ?? [])], inplace: k.inplace }));
  const plan = planMemory(g, planKernels, root, new Set(low.sources.keys()), low.assigns);
  const stateName = (i: number): string => names.name(g.state[i]!.value);
  const arr = (v: Value): string => {
    const r = root(v);
    const h = plan.home.get(r);
    if (h?.kind === "state") return stateName(h.index);
    if (h?.kind === "input") return names.name(g.inputs[h.index]!);
    return names.name(r);
  };

  const L: string[] = [];
  const inSig = g.inputs.map((v) => `${namer.name(v)} ${v.dtype}[${v.shape}]`).join(", ") || "none";
  const stSig = g.state.map((s) => `${namer.name(s.value)} ${JSON.stringify(s.name)} ${s.value.dtype}[${s.value.shape}]`).join(", ") || "none";
  const poolBytes = plan.buffers.reduce((a, b) => a + b, 0);
  L.push(`// graft js backend: @${commentSafe(g.name)}${opts.stage ? `, stage "${opts.stage}"` : ""}: ${low.kernels.length} kernels, ${plan.buffers.length} pooled buffers (${mib(poolBytes)})`);
  L.push(`// inputs: ${commentSafe(inSig)}`);
  L.push(`// state: ${commentSafe(stSig)}`);
  for (const note of low.notes) L.push(`// note: ${commentSafe(note)}`);
  L.push(`"use strict";`);
  L.push(`const { ${RUNTIME_HELPERS.join(", ")} } = rt;`);

  // which values need a program-level array: everything a kernel, output or copy touches
  const used = new Set<Value>();
  for (const k of low.kernels) for (const v of [...k.ins, ...k.outs, ...(k.temps ?? [])]) used.add(root(v));
  for (const v of g.outputs) used.add(root(v));
  for (const c of plan.copies) used.add(c.from);

  L.push("", "// memory plan: buffers allocated once, reused by every step");
  plan.buffers.forEach((b, i) => L.push(`const B${i} = new ArrayBuffer(${b});`));
  let sourceBytes = 0;
  // when each array is written and last read: the kernels between which its buffer is taken
  const span = new Map<Value, [number, number]>();
  low.kernels.forEach((k, i) => {
    for (const v of [...k.outs, ...(k.temps ?? [])]) span.set(root(v), [i, i]);
    for (const v of k.ins) {
      const s = span.get(root(v));
      if (s) s[1] = i;
    }
  });
  const lifetime = (v: Value): string => {
    const s = span.get(v);
    return !s ? "" : g.outputs.some((o) => root(o) === v) ? `, k${s[0]} to the end` : `, k${s[0]}..k${s[1]}`;
  };
  for (const [v, h] of plan.home) {
    if (!used.has(v)) continue;
    const what = `// ${namer.name(v).startsWith("%?") ? "" : namer.name(v) + ": "}${v.dtype}[${v.shape}]${h.kind === "pool" ? lifetime(v) : ""}`;
    if (h.kind === "pool") L.push(`const ${names.name(v)} = new ${ARRAY_CTOR[v.dtype]}(B${h.buffer}, 0, ${sizeOf(v.shape)}); ${what}`);
    else if (h.kind === "source") {
      L.push(`const ${names.name(v)} = ${low.sources.get(v)}; ${what}`);
      sourceBytes += sizeOf(v.shape) * BYTES[v.dtype];
    }
  }
  for (const [name, init] of low.statics) L.push(`const ${name} = ${init};`);
  const inPlace = plan.inPlace.map((i) => JSON.stringify(g.state[i]!.name));
  const copied = plan.copies.map((c) => JSON.stringify(g.state[c.state]!.name));
  if (inPlace.length) L.push(commentSafe(`// state updated in place by its kernel: ${inPlace.join(", ")}`));
  if (copied.length) L.push(commentSafe(`// state copied in at the end of the step (its old value is still read): ${copied.join(", ")}`));
  for (const s of plan.snapshots) L.push(`const ${names.name(s)}_old = new ${ARRAY_CTOR[s.dtype]}(${sizeOf(s.shape)}); // old value of state ${namer.name(s)}`);
  if (opts.profile) L.push(`const prof = new Float64Array(${low.kernels.length});`);

  // a kernel gets each distinct array once: when the plan hands it the same array twice (an update
  // in place), its parameters merge, so the loop keeps fewer array bases and bounds live
  const calls = low.kernels.map((k) => {
    const params = [...k.ins.map((_, i) => `x${i}`), ...k.outs.map((_, i) => `y${i}`), ...(k.temps ?? []).map((_, i) => `w${i}`)];
    const args = [...k.ins, ...k.outs, ...(k.temps ?? [])].map(arr);
    const keep = params.filter((_, i) => args.indexOf(args[i]!) === i);
    let body = k.body;
    params.forEach((p, i) => {
      const first = args.indexOf(args[i]!);
      if (first !== i) body = body.replace(new RegExp(`\\b${p}\\b`, "g"), params[first]!);
    });
    return { text: [...k.comment.map((c) => `// ${c}`), `function ${k.name}(${keep.join(", ")}) {`, indent(body), "}"], call: `${k.name}(${[...new Set(args)].join(", ")});` };
  });
  L.push("", "// kernels");
  for (const c of calls) L.push(...c.text, "");

  // the step
  L.push("// one step: inputs, then state arrays, in graph order; state is updated in place");
  L.push("function step(ins, state) {");
  const S: string[] = [];
  if (g.inputs.length) S.push(`const ${g.inputs.map((v, i) => `${names.name(v)} = ins[${i}]`).join(", ")};`);
  if (g.state.length) S.push(`const ${g.state.map((s, i) => `${stateName(i)} = state[${i}]`).join(", ")};`);
  for (const s of plan.snapshots) S.push(`${names.name(s)}_old.set(${names.name(s)});`);
  if (opts.profile) S.push("let t0 = now(), t1 = 0;");
  low.kernels.forEach((k, i) => {
    S.push(calls[i]!.call);
    if (opts.profile) S.push(`t1 = now(); prof[${i}] += t1 - t0; t0 = t1;`);
    if (opts.checkNumerics) for (const o of k.outs) if (o.dtype === "f32" || o.dtype === "f64") S.push(`rt.check(${arr(o)}, ${i});`);
  });
  g.outputs.forEach((v, i) => S.push(`const r${i} = ${arr(v)}.slice();`));
  const snap = new Set(plan.snapshots);
  for (const c of plan.copies) {
    const from = snap.has(c.from) ? `${names.name(c.from)}_old` : arr(c.from);
    S.push(`${stateName(c.state)}.set(${from}); ${commentSafe(`// assign ${JSON.stringify(g.state[c.state]!.name)}`)}`);
  }
  S.push(`return [${g.outputs.map((_, i) => `r${i}`).join(", ")}];`);
  L.push(indent(S.join("\n")), "}");
  L.push(`return { step, prof: ${opts.profile ? "prof" : "null"} };`);

  return {
    source: L.join("\n"),
    kernels: low.kernels.map((k) => ({ name: k.name, title: k.title, ir: k.comment.join("\n"), ...(k.loc ? { loc: k.loc } : {}) })),
    bytes: poolBytes + sourceBytes,
    inputs: g.inputs.map((v) => v.type),
    state: g.state.map((s) => ({ name: s.name, type: s.value.type })),
    outputs: g.outputs.map((v) => v.type),
    plan,
    notes: low.notes,
  };
}
