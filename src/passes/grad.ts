/** @file Reverse-mode autodiff as a graph-to-graph pass: expands `grad` markers into ordinary IR.
 *
 * The math. For y = f(x) built from primitives, the cotangent of a value v is
 *   v̄ = Σ over the uses u of v of VJP_u(ū)   (a value used several times accumulates),
 * seeded with ȳ = 1 (broadcast to y's shape: the gradient of sum(y), as tf.gradients does).
 * Visiting nodes in reverse topological order gives every ū before it is needed. Each op's
 * VJP rule lives in its definition (src/ir/ops) and is written with the builder in
 * differentiable ops, so the gradient is more IR: later passes optimize forward and backward
 * together, and a marker whose y contains an expanded gradient differentiates it again
 * (grad-of-grad). Markers are expanded in graph order, which is innermost first.
 *
 * Choices, and why:
 * - Only values on a path from some x to y are visited ("active"); integer and bool values are
 *   never active, so they get no gradient.
 * - An x that y does not depend on gets zeros (JAX's behaviour; TF returns None). Zeros keep the
 *   result a fixed list of tensors typed like xs, which a traced step needs.
 * - A `{zero}` rule contributes nothing; a `{none}` rule on an active path raises GradError
 *   naming the op and the user's line, never a silent zero.
 * - A cotangent of a broadcast shape is summed back to the input's shape (sumToShape), and cast
 *   back to the input's dtype when the op promoted it (f32 with f64).
 */
import { Builder, GradError, constAttrs, isFloat, opDef, rebuild, sameShape, shapeStr, Graph, type Node, type OpName, type Value } from "../ir/index.js";
import { sumToShape } from "../ir/ops/helpers.js";

/** The op `gradients()` records; this pass is its only consumer. */
export const GRAD_MARKER: OpName = "grad";
/** Identity with a user-written VJP; removed once every marker is expanded. */
export const CUSTOM_GRAD: OpName = "custom_grad";

const zerosOf = (b: Builder, v: Value): Value => b.emit("const", [], constAttrs(v.dtype, v.shape, [0]));

/** Topological position of a node: its outputs' ids grow in creation order, inputs first. */
const order = (n: Node): number => n.outputs[0]?.id ?? -1;

/**
 * Emits into `b` the cotangents of `xs` for the seed `dy` at `y` (default: ones, i.e. d sum(y)).
 * `y` and `xs` are values already in `b`'s graph; their defining nodes are found through
 * `Value.def`, so this works on a graph while it is being built.
 */
export function vjp(b: Builder, y: Value, xs: readonly Value[], dy?: Value): Value[] {
  if (!isFloat(y.dtype)) throw new GradError(`gradients: y must be a float tensor to differentiate, got ${y.dtype}${shapeStr(y.shape)}`);
  // every node y depends on
  const seen = new Set<Node>();
  const stack: Node[] = y.def ? [y.def] : [];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const v of n.inputs) if (v.def && !seen.has(v.def)) stack.push(v.def);
  }
  const nodes = [...seen].sort((p, q) => order(p) - order(q));
  // forward: values that depend on some float x
  const active = new Set<Value>(xs.filter((x) => isFloat(x.dtype)));
  for (const n of nodes) {
    if (n.inputs.some((v) => active.has(v))) for (const o of n.outputs) if (isFloat(o.dtype)) active.add(o);
  }
  const ct = new Map<Value, Value>();
  const accumulate = (v: Value, c: Value): void => {
    let g = sumToShape(b, c, v.shape);
    if (g.dtype !== v.dtype) g = b.emit("cast", [g], { dtype: v.dtype });
    const prev = ct.get(v);
    ct.set(v, prev ? b.o.add(prev, g) : g);
  };
  if (active.has(y)) {
    const seed = dy ?? b.emit("const", [], constAttrs(y.dtype, y.shape, [1]));
    if (!sameShape(seed.shape, y.shape)) throw new GradError(`gradients: the seed cotangent is ${shapeStr(seed.shape)} but y is ${shapeStr(y.shape)}`);
    ct.set(y, seed);
  }
  const outerLoc = b.loc;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    const dys = n.outputs.map((o) => (active.has(o) ? ct.get(o) : undefined));
    if (!dys.some((d) => d) || !n.inputs.some((v) => active.has(v))) continue;
    const rule = opDef(n.op).vjp;
    if ("zero" in rule) continue;
    if ("none" in rule) {
      throw new GradError(`gradients: cannot differentiate through '${n.op}' (${rule.none}); it lies on the path from the inputs to the differentiated value (wrap the part that should not be differentiated in stopGradient)`, n.loc);
    }
    if (n.outputs.length !== 1) throw new GradError(`gradients: '${n.op}' has ${n.outputs.length} outputs; VJP rules handle one`, n.loc);
    // gradient nodes carry the location of the forward node they differentiate
    b.loc = n.loc ?? outerLoc;
    const cts = rule({ b, x: n.inputs, y: n.outputs[0]!, dy: dys[0]!, attrs: n.attrs as never, ...(n.body ? { body: n.body } : {}) });
    n.inputs.forEach((v, k) => {
      const c = cts[k];
      if (c && active.has(v)) accumulate(v, c);
    });
    b.loc = outerLoc;
  }
  return xs.map((x) => ct.get(x) ?? zerosOf(b, x));
}

/** Drops nodes whose results reach no output and no assign (all ops are pure). */
function pruneDead(g: Graph): Graph {
  const live = new Set<Value>([...g.outputs, ...g.assigns.map((a) => a.value)]);
  const keep: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    keep.push(n);
    for (const v of n.inputs) live.add(v);
  }
  return keep.length === g.nodes.length ? g : new Graph(g.name, g.inputs, g.state, keep.reverse(), g.outputs, g.assigns);
}

/**
 * The grad stage: every `grad` marker replaced by its gradient IR, then every `custom_grad`
 * by the value it wraps, then dead forward nodes dropped. A graph without either is returned as is.
 * `keepCustom` keeps the `custom_grad` nodes: a customGradient's gradFunc body keeps those of the
 * custom gradients it calls, so when an outer gradient inlines the body and differentiates it
 * again (second order and up), their rules still hold instead of the true derivative.
 */
export function expandGradients(g: Graph, opts: { keepCustom?: boolean } = {}): Graph {
  if (!g.nodes.some((n) => n.op === GRAD_MARKER || (n.op === CUSTOM_GRAD && !opts.keepCustom))) return g;
  const expanded = rebuild(g, (n, ins, b) => (n.op === GRAD_MARKER ? vjp(b, ins[0]!, ins.slice(1)) : undefined));
  const plain = opts.keepCustom ? expanded : rebuild(expanded, (n, ins) => (n.op === CUSTOM_GRAD ? [ins[(n.attrs as { n: number }).n]!] : undefined));
  return pruneDead(plain);
}
