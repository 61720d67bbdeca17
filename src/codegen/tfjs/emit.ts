/** @file Emits one TensorFlow.js program (a JS function of tf.* calls, run inside tf.tidy) for a graph. */
import { Builder, interpret, nd, numStr, opDef, runNode, sameShape, typeStr, UsageError, type DType, type Graph, type NDArray, type Node, type OpName, type Shape, type TfjsLowerCtx, type Value } from "../../ir/index.js";
import { lowerMatmulRegion } from "./epilogue.js";
import { releaseDead } from "./release.js";

/**
 * How matmuls with transpose flags are emitted. "flags": `tf.matMul(a, b, ta, tb)` as the IR says
 * (right on cpu and tensorflow). "transpose": `tf.matMul(tf.transpose(a), b)` with no flags, because
 * the wasm backend's BatchMatMul with a transpose flag walks memory with a stride and is ~10x
 * slower than an explicit transpose followed by a plain matmul (measured: 59.6 ms vs 6.1 ms for
 * [784x128]^T [128x256] on wasm SIMD; cpu is within 10% either way).
 */
export type MatmulLayout = "flags" | "transpose";

/**
 * How a runtime tensor is broadcast to a larger shape (a broadcast_to node, a where operand).
 * "tile": `tf.broadcastTo`, a Tile kernel. "binary": a broadcasting multiply by a ones constant of
 * the output shape (logicalAnd with trues for bool; exact for NaN, Inf and -0), because the wasm
 * backend's Tile is ~20x slower than its broadcasting binary kernels (measured: 106 ms vs 7.6 ms
 * to broadcast [1,256] to [4096,256]; a scalar bool to 1M elements, 77 ms vs 6.5 ms). On cpu Tile
 * is the faster of the two.
 */
export type BroadcastLowering = "tile" | "binary";

export interface TfjsEmitOptions {
  readonly layout: MatmulLayout;
  /** Default "tile". */
  readonly broadcast?: BroadcastLowering;
  /**
   * Fold sources (const, iota) and random ops with constant keys into tensors made once at
   * compile time (`K[i]`). Off only in tests, so that every op's own lowering string runs.
   */
  readonly fold?: boolean;
  /** Check every float result for NaN/Inf (a download per node: debugging only). */
  readonly checkNumerics?: boolean;
  /** Shown in the header comment. */
  readonly backend?: string;
}

/** A generated program: `new Function("tf", "rt", "K", source)` returns `step(ins, vars) => outs`. */
export interface TfjsProgram {
  readonly source: string;
  /** Values of the folded constants; the runtime uploads them once as `K[i]`. */
  readonly consts: readonly NDArray[];
  /** tf calls per step (one per emitted node; a fused matmul counts once). */
  readonly kernels: number;
}

/** Where each IR value lives in the generated code, and which values are known at compile time. */
export class EmitCtx {
  readonly lines: string[] = [];
  readonly names = new Map<Value, string>();
  /** Compile-time values of folded nodes (so random ops with constant keys fold too). */
  readonly known = new Map<Value, NDArray>();
  readonly consts: NDArray[] = [];
  private readonly constKeys = new Map<string, string>();
  /** Names of the tensors the step's own expressions make (what early release may dispose). */
  readonly made = new Set<string>();
  kernels = 0;
  private regions = 0;

  constructor(readonly opts: TfjsEmitOptions) {}

  /**
   * The name of a compile-time constant (`K[i]`, uploaded once). An equal one made before is
   * reused when it is a splat or small (each fusion region folds its own copies of 0, 1, beta1...).
   */
  constant(a: NDArray): string {
    const key = constKey(a);
    const seen = key === undefined ? undefined : this.constKeys.get(key);
    if (seen) return seen;
    this.consts.push(a);
    const name = `k${this.consts.length - 1}`;
    if (key !== undefined) this.constKeys.set(key, name);
    return name;
  }

  name(v: Value): string {
    const n = this.names.get(v);
    if (!n) throw new UsageError(`tfjs codegen: value of type ${typeStr(v.type)} used before it is defined`);
    return n;
  }

  /** A fresh prefix for the values of one region body. */
  regionPrefix(): string {
    return `r${this.regions++}_`;
  }

  /** `const <name> = <expr>;` with the node's source location as a comment (escaped). */
  define(v: Value, name: string, expr: string, n?: Node): void {
    const where = n?.loc ? ` // ${JSON.stringify(n.loc)}` : "";
    this.lines.push(`    const ${name} = ${expr};${where}`);
    this.names.set(v, name);
    this.made.add(name);
    this.kernels++;
    if (this.opts.checkNumerics && (v.dtype === "f32" || v.dtype === "f64") && n) {
      this.lines.push(`    rt.check(${name}, ${JSON.stringify(n.op)}, ${JSON.stringify(n.loc ?? "")});`);
    }
  }
}

const foldable = (ctx: EmitCtx, n: Node): boolean => {
  const kind = opDef(n.op).kind;
  return !!ctx.opts.fold && (kind === "source" || (kind === "random" && n.inputs.every((v) => ctx.known.has(v))));
};

/** Emits the nodes of `g` (whose inputs must already be named) into ctx. */
export function emitNodes(ctx: EmitCtx, g: Graph, prefix: string): void {
  for (const n of g.nodes) emitNode(ctx, n, prefix);
}

/** Emits one node with its op's tfjs lowering (or folds it, or expands a region). */
export function emitNode(ctx: EmitCtx, n: Node, prefix: string): void {
  const def = opDef(n.op);
  if (foldable(ctx, n)) {
    // sources and constant-key random numbers are compile-time values: the interpreter makes them
    const [val] = runNode(n, n.inputs.map((v) => ctx.known.get(v)!));
    ctx.known.set(n.outputs[0]!, val!);
    ctx.names.set(n.outputs[0]!, ctx.constant(val!));
    return;
  }
  if (def.kind === "region" && n.body) return emitRegion(ctx, n);
  const out = n.outputs[0]!;
  const args = n.inputs.map((v) => (TILE_BROADCAST.has(n.op) ? broadcastOperand(ctx, v, out.shape) : undefined) ?? ctx.name(v));
  const lowerCtx: TfjsLowerCtx = {
    ins: n.inputs.map((v) => v.type),
    out: out.type,
    ...(ctx.opts.broadcast === "binary" ? { broadcast: (x: string, dtype: DType, shape: Shape) => binaryBroadcast(ctx, x, dtype, shape) } : {}),
  };
  let expr: string;
  if (def.kind === "contract" && ctx.opts.layout === "transpose") {
    const a = n.attrs as { transposeA: boolean; transposeB: boolean };
    const flat = { ...n.attrs, transposeA: false, transposeB: false } as never;
    expr = def.tfjs([swapLast(args[0]!, n.inputs[0]!, a.transposeA), swapLast(args[1]!, n.inputs[1]!, a.transposeB)], flat, lowerCtx);
  } else {
    expr = def.tfjs(args, n.attrs as never, lowerCtx);
  }
  // identities (stop_gradient, custom_grad) lower to an operand: alias it, so outputs and
  // assigns still see which tensors the step did not make
  if (args.includes(expr)) {
    ctx.names.set(out, expr);
    const k = ctx.known.get(n.inputs[args.indexOf(expr)]!);
    if (k) ctx.known.set(out, k);
    return;
  }
  ctx.define(out, `${prefix}v${out.id}`, expr, n);
}

/**
 * Ops whose tfjs function broadcasts its operands with tf.broadcastTo, a Tile kernel (on wasm,
 * 10 ms to fill a [128,256] from a scalar, more than the step's elementwise math): constant
 * operands of these are broadcast once, at compile time, and runtime ones (with the "binary"
 * lowering) by a broadcasting multiply before the op sees them, so no Tile runs per step.
 */
const TILE_BROADCAST: ReadonlySet<OpName> = new Set<OpName>(["where"]);

/**
 * An operand of a TILE_BROADCAST op broadcast to `shape` before the op sees it, if it differs: a
 * compile-time constant becomes a new folded constant; a runtime value is broadcast by a binary
 * op where that is the faster lowering. undefined: pass it as it is.
 */
function broadcastOperand(ctx: EmitCtx, v: Value, shape: Shape): string | undefined {
  if (sameShape(v.shape, shape)) return undefined;
  const a = ctx.known.get(v);
  if (!a) return ctx.opts.broadcast === "binary" ? binaryBroadcast(ctx, ctx.name(v), v.dtype, shape) : undefined;
  const b = new Builder("broadcast");
  b.output(b.emit("broadcast_to", [b.input(v.type)], { shape: [...shape] }));
  return ctx.constant(interpret(b.finish(), [a]).outputs[0]!);
}

/** `x` broadcast to `shape` by a broadcasting binary op with a ones (trues) constant of that shape, made once. */
function binaryBroadcast(ctx: EmitCtx, x: string, dtype: DType, shape: Shape): string {
  const ones = nd(dtype, shape);
  ones.data.fill(1);
  const k = ctx.constant(ones);
  return dtype === "bool" ? `tf.logicalAnd(${x}, ${k})` : `tf.mul(${x}, ${k})`;
}

/** `x` with its last two axes swapped when `flag` is set (an explicit transpose). */
export function swapLast(x: string, v: Value, flag: boolean): string {
  if (!flag) return x;
  const r = v.shape.length;
  const perm = v.shape.map((_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
  return `tf.transpose(${x}, ${JSON.stringify(perm)})`;
}

/** A fusion region: matmul epilogues become tf.fused.matMul; everything else runs op by op. */
function emitRegion(ctx: EmitCtx, n: Node): void {
  const body = n.body!;
  const prefix = ctx.regionPrefix();
  ctx.lines.push(`    // fusion ${JSON.stringify(n.attrs.name)} (${JSON.stringify(n.attrs.kind)})`);
  body.inputs.forEach((v, i) => {
    const outer = n.inputs[i]!;
    ctx.names.set(v, ctx.name(outer));
    const k = ctx.known.get(outer);
    if (k) ctx.known.set(v, k);
  });
  if (n.attrs.kind === "matmul") lowerMatmulRegion(ctx, body, prefix, n);
  else emitNodes(ctx, body, prefix);
  n.outputs.forEach((o, i) => {
    const bo = body.outputs[i]!;
    ctx.names.set(o, ctx.name(bo));
    const k = ctx.known.get(bo);
    if (k) ctx.known.set(o, k);
  });
}

/** Emits the program for a whole graph: inputs, state reads, nodes, state updates, outputs. */
export function emitTfjs(g: Graph, opts: TfjsEmitOptions): TfjsProgram {
  const ctx = new EmitCtx({ fold: true, ...opts });
  g.inputs.forEach((v, i) => ctx.names.set(v, `in${i}`));
  g.state.forEach((s, i) => ctx.names.set(s.value, `s${i}`));
  const head = [
    ...g.inputs.map((v, i) => `    const in${i} = ins[${i}]; // input ${i}: ${typeStr(v.type)}`),
    ...g.state.map((s, i) => `    const s${i} = vars[${i}]; // state ${JSON.stringify(s.name)}: ${typeStr(s.value.type)} (a tf.Variable)`),
  ];
  emitNodes(ctx, g, "");

  // Tensors the step did not make (inputs, state, folded constants) are cloned before they are
  // returned (the caller disposes outputs) or assigned (a later assign would change a state read).
  // A clone shares the data: no copy.
  const stateNames = new Set(g.state.map((_, i) => `s${i}`));
  const external = new Set([...g.inputs.map((_, i) => `in${i}`), ...stateNames, ...ctx.consts.map((_, i) => `k${i}`)]);
  const tail: string[] = [];
  const outs = g.outputs.map((v, i) => {
    if (!external.has(ctx.name(v))) return ctx.name(v);
    tail.push(`    const out${i} = tf.clone(${ctx.name(v)});`);
    return `out${i}`;
  });
  const stateOf = new Map(g.state.map((s, i) => [s.value, i]));
  const assigns = g.assigns.filter((a) => ctx.name(a.value) !== ctx.name(a.state));
  const sources = assigns.map((a, j) => {
    if (!stateNames.has(ctx.name(a.value))) return ctx.name(a.value);
    tail.push(`    const new${j} = tf.clone(${ctx.name(a.value)}); // the state's value before this step's assigns`);
    return `new${j}`;
  });
  if (assigns.length) tail.push("    // state updates last, in place: every read above saw the step's starting values");
  assigns.forEach((a, j) => tail.push(`    s${stateOf.get(a.state)}.assign(${sources[j]});`));

  const constLines = ctx.consts.map((c, i) => `  const k${i} = K[${i}]; // ${typeStr(c)}${constPreview(c)}`);
  const source = [
    `// graft tfjs program @${g.name}${opts.backend ? ` for the ${JSON.stringify(opts.backend)} backend` : ""}; matmul layout: ${opts.layout}`,
    ...constLines,
    "return function step(ins, vars) {",
    "  return tf.tidy(() => {",
    ...head,
    ...releaseDead(ctx.lines, ctx.made, new Set([...outs, ...sources])),
    ...tail,
    `    return [${outs.join(", ")}];`,
    "  });",
    "};",
  ].join("\n");
  return { source, consts: ctx.consts, kernels: ctx.kernels };
}

/** Identity of a splat or small constant (dtype, shape, exact values: -0 and NaN spelled out); undefined for others. */
function constKey(a: NDArray): string | undefined {
  const head = `${a.dtype}[${a.shape.join(",")}]`;
  const first = a.data[0];
  if (first !== undefined && a.data.every((x) => Object.is(x, first))) return `${head}=${numStr(first)}`;
  return a.data.length <= 64 ? `${head}${Array.from(a.data, numStr).join(",")}` : undefined;
}

function constPreview(c: NDArray): string {
  if (c.data.length === 0) return "";
  const first = c.data[0]!;
  if (c.data.every((x) => Object.is(x, first))) return ` = ${numStr(first)}${c.data.length > 1 ? " (splat)" : ""}`;
  return c.data.length <= 8 ? ` = [${Array.from(c.data, numStr).join(", ")}]` : "";
}
