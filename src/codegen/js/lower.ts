/** @file Lowers a graph (any stage) to kernels: fusion regions become fused loop nests, other nodes one kernel each.
 *
 * What needs no kernel: reshape and identities (stop_gradient, same-dtype casts) alias their
 * input's array; constants and iota are computed once when the program is instantiated; splat
 * constants are inlined as literals into the loops that read them. A fusion region the emitter
 * cannot handle is split back into its body's nodes (the reason is kept for dumps).
 */
import { Namer, opDef, printNode, sameShape, sameType, sizeOf, stridesOf, UsageError, Value, type Graph, type Node } from "../../ir/index.js";
import type { MatmulAttrs } from "../../ir/ops/index.js";
import { emitLoopBody, isSplatConst, kernelOf, Unsupported, type BodySpec, type LoopBody } from "./fused.js";
import { matmulCall, matmulRowsCall, namedKernel } from "./kernels.js";
import { ARRAY_CTOR, commentSafe, identSafe, indent, num, stored } from "./text.js";

export interface Kernel {
  /** The JS function name, e.g. `k3_matmul_add_relu`. */
  readonly name: string;
  /** What it computes, for profiles: the fusion's name or the op. */
  readonly title: string;
  /** The IR it came from, one comment line each. */
  readonly comment: readonly string[];
  readonly loc?: string;
  readonly ins: readonly Value[];
  readonly outs: readonly Value[];
  /** Scratch arrays for the kernel's duration only (passed after the outputs as w0, w1, ...). */
  readonly temps?: readonly Value[];
  readonly body: string;
  /** [input, output] pairs that may share one array. */
  readonly inplace: ReadonlyArray<readonly [number, number]>;
  /** What the kernel computes, for backends that emit their own code for it (wasm). */
  readonly src?: KernelSource;
}

/** A kernel's IR: a loop body (params = ins then outs), one matmul node, or a matmul fusion region. */
export type KernelSource =
  | { readonly kind: "loop"; readonly spec: BodySpec }
  | { readonly kind: "matmul"; readonly node: Node }
  | { readonly kind: "matmul-fused"; readonly region: Graph };

export interface Lowered {
  readonly kernels: readonly Kernel[];
  /** value -> the value whose array it is (reshape, identities, fusion outputs split back) */
  readonly alias: ReadonlyMap<Value, Value>;
  /** values computed once at setup (constants, iota) -> initializer expression */
  readonly sources: ReadonlyMap<Value, string>;
  /** named program-level arrays kernels read (body constants, batch offset tables) */
  readonly statics: ReadonlyMap<string, string>;
  /** why a fusion region was split (shown in source comments and dumps) */
  readonly notes: readonly string[];
  /** the graph's assigns, with copies of old state values and inputs re-sourced to kernel outputs */
  readonly assigns: ReadonlyArray<{ readonly state: Value; readonly value: Value }>;
}

/** JS names for values: `v12` for the graph's %12, `u3` for values of split fusion bodies. */
export class ValueNames {
  private readonly names = new Map<Value, string>();
  private extra = 0;
  constructor(readonly namer: Namer, g: Graph) {
    const all = [...g.inputs, ...g.state.map((s) => s.value), ...g.nodes.flatMap((n) => n.outputs)];
    for (const v of all) this.names.set(v, `v${namer.name(v).slice(1)}`);
  }
  name(v: Value): string {
    let s = this.names.get(v);
    if (!s) this.names.set(v, (s = `u${this.extra++}`));
    return s;
  }
}


/** Initializer for a constant or iota array. */
function sourceInit(n: Node): string {
  const out = n.outputs[0]!;
  const ctor = ARRAY_CTOR[out.dtype];
  const size = sizeOf(out.shape);
  if (kernelOf(n) === "iota") {
    const axis = n.attrs["axis"] as number;
    return `iota(new ${ctor}(${size}), ${stridesOf(out.shape)[axis]}, ${out.shape[axis]})`;
  }
  const value = n.attrs["value"] as readonly number[];
  if (value.length === 1) {
    const v = stored(value[0]!, out.dtype);
    return v === 0 && !Object.is(v, -0) ? `new ${ctor}(${size})` : `new ${ctor}(${size}).fill(${num(v)})`;
  }
  return `new ${ctor}([${value.map(num).join(", ")}])`;
}

export function lowerGraph(g: Graph, names: ValueNames): Lowered {
  const kernels: Kernel[] = [];
  const alias = new Map<Value, Value>();
  const sources = new Map<Value, string>();
  const statics = new Map<string, string>();
  const notes: string[] = [];
  let constArrays = 0;
  const irLines = (n: Node, namer: Namer): string[] => printNode(n, namer).split("\n").map((l) => commentSafe(l.trim()));

  const add = (k: Omit<Kernel, "name" | "comment"> & { comment: string[] }): void => {
    kernels.push({ ...k, name: `k${kernels.length}_${identSafe(k.title)}` });
  };

  /** One plain node as one kernel (or an alias / a setup-time source). */
  const lowerNode = (n: Node, namer: Namer): void => {
    const js = opDef(n.op).js;
    const out = n.outputs[0]!;
    const comment = irLines(n, namer);
    if (kernelOf(n) === "region" && n.body && typeof n.attrs["kind"] === "string") return lowerRegion(n, namer);
    if ("expr" in js || "reduce" in js) {
      if ("expr" in js) {
        // the identity on one operand (stop_gradient, custom_grad, same-dtype cast): an alias, no copy
        const probe = n.inputs.map((_, i) => `x${i}`);
        const which = probe.indexOf(js.expr(probe, n.attrs as never, { ins: n.inputs.map((v) => v.type), out: out.type }));
        if (which >= 0 && sameType(n.inputs[which]!.type, out.type)) {
          alias.set(out, n.inputs[which]!);
          return;
        }
      }
      // splat constant operands are inlined; every other distinct operand is a parameter
      const consts = n.inputs.map((v) => v.def).filter((d): d is Node => isSplatConst(d));
      const params = [...new Set(n.inputs.filter((v) => !isSplatConst(v.def)))];
      const extra = absorbed.get(n) ?? [];
      const spec: BodySpec = { inputs: params, nodes: [...new Set(consts), n], outputs: [...n.outputs, ...extra.map((e) => e.source)] };
      const body = emitLoopBody(spec, bodyNames(params.length, spec.outputs.length, (v) => `t_${names.name(v)}`));
      body.statics.forEach((init, name) => statics.set(name, init));
      add({ title: n.op, comment: [...comment, ...absorbedComment(extra)], loc: n.loc, ins: params, outs: [...n.outputs, ...extra.map((e) => e.out)], body: body.text, inplace: body.inplace, src: { kind: "loop", spec } });
      return;
    }
    const kernel = kernelOf(n)!;
    switch (kernel) {
      case "reshape":
        alias.set(out, n.inputs[0]!);
        return;
      case "const":
      case "iota":
        sources.set(out, sourceInit(n));
        return;
      case "matmul": {
        const b = matmulCall(n.inputs[0]!, n.inputs[1]!, out, n.attrs as unknown as MatmulAttrs, "x0", "x1", "y0", `mm${kernels.length}`);
        b.statics?.forEach((init, name) => statics.set(name, init));
        add({ title: "matmul", comment, loc: n.loc, ins: n.inputs, outs: n.outputs, body: b.text, inplace: [], src: { kind: "matmul", node: n } });
        return;
      }
      case "region":
        throw new UsageError(`js codegen: ${n.op} must be lowered before codegen (only fusion regions reach a backend)`);
      default: {
        const b = namedKernel(kernel, n, n.inputs.map((_, i) => `x${i}`), "y0");
        b.statics?.forEach((init, name) => statics.set(name, init));
        add({ title: n.op, comment, loc: n.loc, ins: n.inputs, outs: n.outputs, body: b.text, inplace: [] });
      }
    }
  };

  const bodyNames = (nIn: number, nOut: number, value: (v: Value) => string) => ({
    inputs: Array.from({ length: nIn }, (_, i) => `x${i}`),
    outputs: Array.from({ length: nOut }, (_, i) => `y${i}`),
    value,
    constArray: (c: Node) => {
      const name = `c${constArrays++}_${names.name(c.outputs[0]!)}`;
      return { name, init: sourceInit(c) };
    },
  });

  /** A fusion region: one fused kernel, or its body split into plain kernels when that fails. */
  const lowerRegion = (n: Node, namer: Namer): void => {
    const body = n.body!;
    const comment = irLines(n, namer);
    const bodyNamer = new Namer(body);
    const title = String(n.attrs["name"] ?? n.op);
    const local = (v: Value): string => `t${bodyNamer.name(v).slice(1)}`;
    try {
      const kind = n.attrs["kind"];
      if (kind === "matmul") {
        const k = lowerMatmulFusion(n, local);
        add({ title, comment, loc: n.loc, ins: n.inputs, outs: n.outputs, temps: k.temps, body: k.body, inplace: k.inplace, src: { kind: "matmul-fused", region: body } });
        return;
      }
      const extra = absorbed.get(n) ?? [];
      const spec: BodySpec = { inputs: body.inputs, nodes: body.nodes, outputs: [...body.outputs, ...extra.map((e) => body.inputs[n.inputs.indexOf(e.source)]!)] };
      const b = emitLoopBody(spec, bodyNames(body.inputs.length, spec.outputs.length, local));
      b.statics.forEach((init, name) => statics.set(name, init));
      add({ title, comment: [...comment, ...absorbedComment(extra)], loc: n.loc, ins: n.inputs, outs: [...n.outputs, ...extra.map((e) => e.out)], body: b.text, inplace: b.inplace, src: { kind: "loop", spec } });
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      notes.push(`fusion ${JSON.stringify(title)} (${namer.name(n.outputs[0]!)}) split into ${body.nodes.length} kernels: ${e.message}`);
      body.inputs.forEach((v, i) => alias.set(v, n.inputs[i]!));
      for (const e of absorbed.get(n) ?? []) alias.set(e.out, e.source); // copied at the end after all
      for (const bn of body.nodes) lowerNode(bn, bodyNamer);
      n.outputs.forEach((o, i) => alias.set(o, body.outputs[i]!));
    }
  };

  /**
   * matmul + epilogue: the product `p` lands in an output array (or a pooled temporary when every
   * output may be written in place over an input), then one loop applies the epilogue.
   */
  const lowerMatmulFusion = (n: Node, local: (v: Value) => string): { body: string; temps: Value[]; inplace: [number, number][] } => {
    const body = n.body!;
    const mm = body.nodes[0];
    if (!mm || kernelOf(mm) !== "matmul" || body.nodes.slice(1).some((bn) => kernelOf(bn) === "matmul")) throw new Unsupported("a matmul region must start with its one matmul");
    const mv = mm.outputs[0]!;
    const pi = mm.inputs.map((v) => body.inputs.indexOf(v));
    if (pi.some((i) => i < 0)) throw new Unsupported("matmul operands must be region inputs");
    const rest = body.outputs.map((o, j) => [o, j] as const).filter(([o]) => o !== mv);
    const epilogue = body.nodes.slice(1);
    let epi: LoopBody | undefined;
    const inplace: [number, number][] = [];
    if (epilogue.length || rest.length) {
      const bn = bodyNames(body.inputs.length, 0, local);
      const spec: BodySpec = { inputs: [...body.inputs, mv], nodes: epilogue, outputs: rest.map(([o]) => o) };
      epi = emitLoopBody(spec, { ...bn, inputs: [...bn.inputs, "p"], outputs: rest.map(([, j]) => `y${j}`) });
      epi.statics.forEach((init, name) => statics.set(name, init));
      for (const [i, j] of epi.inplace) if (i < body.inputs.length) inplace.push([i, rest[j]![1]]);
    }
    // where the product goes: its own output, else an output nothing is written in place over
    const temps: Value[] = [];
    let target = `y${body.outputs.indexOf(mv)}`;
    if (!body.outputs.includes(mv)) {
      const free = body.outputs.findIndex((o, j) => sameShape(o.shape, mv.shape) && o.dtype === mv.dtype && !inplace.some(([, q]) => q === j));
      if (free >= 0) target = `y${free}`;
      else {
        // every output is written in place (an optimizer update on dW): compute the product a block
        // of rows at a time into a small scratch and run the epilogue on each block while it is in cache
        const [M, N] = mv.shape;
        const RB = Math.max(4, Math.floor(16384 / Math.max(1, N!)) & ~3);
        if (epi && mv.shape.length === 2 && M! > RB) return rowBlocked(body, M!, N!, RB, pi, inplace, local, rest);
        temps.push(mv);
        target = "w0";
      }
    }
    const call = matmulCall(mm.inputs[0]!, mm.inputs[1]!, mv, mm.attrs as unknown as MatmulAttrs, `x${pi[0]}`, `x${pi[1]}`, "p", `mm${kernels.length}`);
    call.statics?.forEach((init, name) => statics.set(name, init));
    const text = [`const p = ${target}; // the product`, call.text, ...(epi ? ["// epilogue", epi.text] : [])].join("\n");
    return { body: text, temps, inplace };
  };

  /** The matmul fusion's product in row blocks of RB: matmul rows into `w0`, then the epilogue on them. */
  const rowBlocked = (region: Graph, M: number, N: number, RB: number, pi: number[], inplace: [number, number][], local: (v: Value) => string, rest: (readonly [Value, number])[]): { body: string; temps: Value[]; inplace: [number, number][] } => {
    const mm = region.nodes[0]!;
    const mv = mm.outputs[0]!;
    const bn = bodyNames(region.inputs.length, 0, local);
    const spec: BodySpec = { inputs: [...region.inputs, mv], nodes: region.nodes.slice(1), outputs: rest.map(([o]) => o) };
    const names = { ...bn, inputs: [...bn.inputs, "p"], outputs: rest.map(([, j]) => `y${j}`) };
    const local1 = new Set([region.inputs.length]);
    const whole = emitLoopBody(spec, names, { rows: RB, base: "r0", local: local1 });
    const tail = M % RB ? emitLoopBody(spec, names, { rows: M % RB, base: "r0", local: local1 }) : undefined;
    [whole, tail].forEach((e) => e?.statics.forEach((init, name) => statics.set(name, init)));
    const call = matmulRowsCall(mm.inputs[0]!, mm.inputs[1]!, mm.attrs as unknown as MatmulAttrs, `x${pi[0]}`, `x${pi[1]}`, "p", "r0", "rows");
    const scratch = new Value(-1, { dtype: mv.dtype, shape: [RB, N] });
    const text = [
      `const p = w0; // ${RB} rows of the product at a time`,
      `for (let r0 = 0; r0 < ${M}; r0 += ${RB}) {`,
      `  const rows = Math.min(${RB}, ${M} - r0);`,
      `  // [rows x ${N}] block of ${(mm.attrs["transposeA"] ? "A^T" : "A")} . ${(mm.attrs["transposeB"] ? "B^T" : "B")}`,
      `  ${call.text}`,
      `  // epilogue on the block`,
      tail ? `  if (rows === ${RB}) {\n${indent(whole.text, 4)}\n  } else {\n${indent(tail.text, 4)}\n  }` : indent(whole.text, 2),
      `}`,
    ].join("\n");
    // the matmul of a later block still reads its operands whole: never write over them in place
    return { body: text, temps: [scratch], inplace: inplace.filter(([i]) => !pi.includes(i)) };
  };

  // Assigns of a value no kernel computes (a state's old value, an input: `pv <- var`, `pg <- grad`)
  // become one more output of the last elementwise kernel that reads that value at its loop index:
  // the kernel stores it as it goes, so the state can be written in place instead of copied (and
  // the old value of `var` no longer has to outlive the kernel that updates `var`).
  const absorbed = new Map<Node, { source: Value; out: Value; state: string }[]>();
  const assigns = g.assigns.map((a) => ({ state: a.state, value: a.value }));
  assigns.forEach((a, i) => {
    if (a.value.def) return;
    const u = a.value;
    const dense = (n: Node): boolean => {
      if (!n.inputs.includes(u) || n.outputs.some((o) => !sameShape(o.shape, u.shape))) return false;
      if (kernelOf(n) === "region") {
        if (n.attrs["kind"] !== "elementwise" || !n.body) return false;
        const bu = n.body.inputs[n.inputs.indexOf(u)]!;
        return n.body.nodes.every((bn) => !bn.inputs.includes(bu) || ("expr" in opDef(bn.op).js && sameShape(bn.outputs[0]!.shape, u.shape)));
      }
      return "expr" in opDef(n.op).js && n.inputs.every((v) => v === u || isSplatConst(v.def) || sameShape(v.shape, u.shape));
    };
    const k = [...g.nodes].reverse().find(dense);
    if (!k) return;
    const out = new Value(-1 - i, u.type);
    (absorbed.get(k) ?? absorbed.set(k, []).get(k)!).push({ source: u, out, state: g.state.find((s) => s.value === a.state)?.name ?? "?" });
    assigns[i] = { state: a.state, value: out };
  });
  const absorbedComment = (extra: readonly { source: Value; state: string }[]): string[] =>
    extra.map((e) => `+ also stores ${names.namer.name(e.source)} for assign ${commentSafe(JSON.stringify(e.state))} (no end-of-step copy)`);

  const namer = names.namer;
  for (const n of g.nodes) lowerNode(n, namer);
  return { kernels, alias, sources, statics, notes, assigns };
}
