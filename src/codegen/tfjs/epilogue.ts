/** @file Matmul regions whose epilogue is a bias add and/or an activation become one tf.fused.matMul. */
import { isFloat, opDef, sameShape, type Graph, type Node, type OpName, type Value } from "../../ir/index.js";
import { emitNode, swapLast, type EmitCtx } from "./emit.js";

/**
 * What tf.fused.matMul can absorb after the product. A lowering table like each op's `tfjs`
 * template: it names tfjs's own fused activations, so it is keyed by the ops that compute them.
 */
const EPILOGUE: { readonly [K in OpName]?: { readonly bias: true } | { readonly activation: "relu" | "sigmoid" } } = {
  add: { bias: true },
  relu: { activation: "relu" },
  sigmoid: { activation: "sigmoid" },
};

interface Plan {
  readonly mm: Node;
  /** The nodes the fused call replaces, in order; the last one's output is the fused result. */
  readonly chain: readonly Node[];
  readonly bias?: Value;
  readonly activation?: string;
}

/**
 * Finds `matmul -> [add bias] -> [activation]` where each intermediate has no other use (so
 * nothing else needs the unfused value). tfjs's wasm kernel takes only a rank-1 bias as long as
 * the output's last axis, and it reads the rank from the bias's storage, so a reshaped [1,n]
 * bias is refused there too: only rank-1 biases fuse.
 */
export function planEpilogue(body: Graph): Plan | undefined {
  const mm = body.nodes.find((n) => opDef(n.op).kind === "contract");
  if (!mm || !isFloat(mm.outputs[0]!.dtype)) return undefined;
  const uses = new Map<Value, Node[]>();
  for (const n of body.nodes) for (const v of n.inputs) uses.set(v, [...(uses.get(v) ?? []), n]);
  const soleUser = (v: Value): Node | undefined => {
    const us = uses.get(v) ?? [];
    return us.length === 1 && !body.outputs.includes(v) ? us[0] : undefined;
  };
  const chain: Node[] = [mm];
  let cur = mm.outputs[0]!;
  let bias: Value | undefined;
  let activation: string | undefined;
  let u = soleUser(cur);
  const role = (n: Node | undefined) => (n ? EPILOGUE[n.op] : undefined);
  const r1 = role(u);
  if (u && r1 && "bias" in r1) {
    const other = u.inputs[0] === cur ? u.inputs[1]! : u.inputs[0]!;
    const n = cur.shape[cur.shape.length - 1]!;
    const fits = other !== cur && other.dtype === cur.dtype && sameShape(other.shape, [n]) && sameShape(u.outputs[0]!.shape, cur.shape);
    if (fits) {
      bias = other;
      chain.push(u);
      cur = u.outputs[0]!;
      u = soleUser(cur);
    }
  }
  const r2 = role(u);
  if (u && r2 && "activation" in r2 && u.inputs.length === 1) {
    activation = r2.activation;
    chain.push(u);
  }
  if (chain.length === 1) return undefined;
  return { mm, chain, ...(bias ? { bias } : {}), ...(activation ? { activation } : {}) };
}

/** Emits a "matmul" region: the planned chain as one tf.fused.matMul, the rest op by op. */
export function lowerMatmulRegion(ctx: EmitCtx, body: Graph, prefix: string, region: Node): void {
  const plan = planEpilogue(body);
  const last = plan?.chain[plan.chain.length - 1];
  for (const n of body.nodes) {
    if (!plan || !plan.chain.includes(n)) {
      emitNode(ctx, n, prefix);
      continue;
    }
    if (n !== last) continue;
    // emitted where the chain ends: every operand (the bias too) is defined by then
    const [a, b] = plan.mm.inputs as [Value, Value];
    const t = plan.mm.attrs as { transposeA: boolean; transposeB: boolean };
    const explicit = ctx.opts.layout === "transpose";
    const args = [
      `a: ${explicit ? swapLast(ctx.name(a), a, t.transposeA) : ctx.name(a)}`,
      `b: ${explicit ? swapLast(ctx.name(b), b, t.transposeB) : ctx.name(b)}`,
      ...(explicit ? [] : [`transposeA: ${t.transposeA}`, `transposeB: ${t.transposeB}`]),
    ];
    if (plan.bias) args.push(`bias: ${ctx.name(plan.bias)}`);
    if (plan.activation) args.push(`activation: ${JSON.stringify(plan.activation)}`);
    const out = n.outputs[0]!;
    ctx.define(out, `${prefix}v${out.id}`, `tf.fused.matMul({ ${args.join(", ")} })`, { ...n, loc: n.loc ?? region.loc } as Node);
  }
}
