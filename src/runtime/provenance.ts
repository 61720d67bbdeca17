/** @file Which nodes of each stage autodiff made, so pictures can draw gradient nodes apart from forward ones.
 *
 * The grad pass stamps gradient nodes with the location of the forward node they differentiate
 * (so errors point at the user's line), so locations cannot tell them apart. Structure can: every
 * value gets a structural id (op, attributes, ids of its inputs; graph inputs by position, state
 * by name), interned so that equal computations in different stages get equal ids. Then
 * - the traced stage is expanded again, recording the nodes `vjp` emits: in the grad stage a node
 *   is a gradient node iff its id is one of those and the traced stage does not compute it too
 *   (so the user's code after `gradients()`, e.g. an optimizer update, stays forward);
 * - in later stages, a node whose id the grad stage knows keeps that stage's verdict; a node the
 *   passes rewrote takes the verdict of the grad-stage nodes with its op, attributes and user
 *   line when those agree, and otherwise is a gradient node iff one of its inputs is.
 * A fused kernel's body nodes are classified the same way, with the body's inputs standing for
 * the kernel's operands, so a cluster shows which of its members came from autodiff.
 */
import { rebuild, type Builder, type Graph, type Node, type Value } from "../ir/index.js";
import { CUSTOM_GRAD, GRAD_MARKER, vjp } from "../passes/grad.js";
import type { StageName, Stages } from "../passes/pipeline.js";

/** The identity a `custom_grad` node stands for (input `n`); it disappears in the grad stage. */
const identityInput = (n: Node): Value | undefined =>
  n.op === CUSTOM_GRAD && typeof n.attrs.n === "number" ? n.inputs[n.attrs.n] : undefined;

/** Expands the traced stage's gradient markers as the grad pass does, collecting the nodes `vjp` emits. */
function expandRecording(traced: Graph): { graph: Graph; made: Set<Node> } {
  const made = new Set<Node>();
  const graph = rebuild(traced, (n, ins, b) => {
    if (n.op !== GRAD_MARKER) return undefined;
    const own = b as { emitMulti: Builder["emitMulti"] };
    const emitMulti = b.emitMulti;
    // every emit (b.o.*, b.emit, b.constant) goes through emitMulti: shadow it while vjp runs
    own.emitMulti = function (this: Builder, ...args: Parameters<Builder["emitMulti"]>) {
      const outs = emitMulti.apply(this, args);
      if (outs[0]?.def) made.add(outs[0].def);
      return outs;
    } as Builder["emitMulti"];
    try {
      return vjp(b, ins[0]!, ins.slice(1));
    } finally {
      delete (own as Partial<typeof own>).emitMulti;
    }
  });
  return { graph, made };
}

const site = (n: Node): string => `${n.op}|${JSON.stringify(Object.keys(n.attrs).sort().map((k) => [k, n.attrs[k]]))}|${n.loc ?? ""}`;

class Interner {
  private readonly ids = new Map<string, number>();
  id(key: string): number {
    let i = this.ids.get(key);
    if (i === undefined) this.ids.set(key, (i = this.ids.size));
    return i;
  }
}

/** Structural ids of every value of `g` (and of its regions' bodies), and the id of every node. */
function structure(g: Graph, intern: Interner): { node: Map<Node, number>; nodes: Node[] } {
  const node = new Map<Node, number>();
  const nodes: Node[] = [];
  const walk = (graph: Graph, val: Map<Value, number>): void => {
    for (const n of graph.nodes) {
      const same = identityInput(n);
      if (same && val.has(same)) {
        n.outputs.forEach((o) => val.set(o, val.get(same)!));
        continue;
      }
      const ins = n.inputs.map((v) => val.get(v) ?? -1);
      const attrs = JSON.stringify(Object.keys(n.attrs).sort().map((k) => [k, n.attrs[k]]));
      if (n.body) {
        // a region: its members are identified as if they were not fused
        const inner = new Map<Value, number>();
        n.body.inputs.forEach((b, i) => inner.set(b, ins[i]!));
        walk(n.body, inner);
        n.outputs.forEach((o, i) => val.set(o, inner.get(n.body!.outputs[i]!) ?? intern.id(`region|${attrs}|${ins}|${i}`)));
        continue;
      }
      const id = intern.id(`${n.op}|${attrs}|${ins.join(",")}`);
      node.set(n, id);
      nodes.push(n);
      n.outputs.forEach((o, i) => val.set(o, i === 0 ? id : intern.id(`${id}#${i}`)));
    }
  };
  const val = new Map<Value, number>();
  g.inputs.forEach((v, i) => val.set(v, intern.id(`input|${i}`)));
  g.state.forEach((s) => val.set(s.value, intern.id(`state|${s.name}`)));
  walk(g, val);
  return { node, nodes };
}

/** For each stage after "traced", the set of nodes (body members included) that autodiff made. */
export function gradientNodes(stages: Stages): Partial<Record<StageName, ReadonlySet<Node>>> {
  if (!stages.grad || stages.grad === stages.traced) return {};
  const intern = new Interner();
  const forward = new Set(structure(stages.traced, intern).node.values());
  let made: Set<number> | undefined;
  try {
    const re = expandRecording(stages.traced);
    const ids = structure(re.graph, intern).node;
    made = new Set([...re.made].map((n) => ids.get(n)!));
  } catch {
    made = undefined; // fall back to "not in the traced stage"
  }
  const gradStage = structure(stages.grad, intern);
  const verdict = new Map<number, boolean>();
  const result: Partial<Record<StageName, Set<Node>>> = {};
  const gradSet = new Set<Node>();
  // (op, attributes, location) of each kind of node, for nodes later passes rewrote
  const bySite = new Map<string, boolean | "both">();
  for (const n of gradStage.nodes) {
    const id = gradStage.node.get(n)!;
    const isGrad = !forward.has(id) && (made?.has(id) ?? true);
    verdict.set(id, isGrad);
    if (isGrad) gradSet.add(n);
    const prev = bySite.get(site(n));
    bySite.set(site(n), prev === undefined || prev === isGrad ? isGrad : "both");
  }
  result.grad = gradSet;
  for (const stage of ["optimized", "fused"] as const) {
    const g = stages[stage];
    if (!g) continue;
    const s = structure(g, intern);
    const set = new Set<Node>();
    // values computed by gradient nodes; a node the passes made is one iff it reads one
    const gradValues = new Set<Value>();
    const isGrad = (n: Node): boolean => {
      const known = verdict.get(s.node.get(n)!);
      if (known !== undefined) return known;
      const atSite = bySite.get(site(n));
      return typeof atSite === "boolean" ? atSite : n.inputs.some((v) => gradValues.has(v));
    };
    for (const n of g.nodes) {
      if (!n.body) {
        if (isGrad(n)) { set.add(n); n.outputs.forEach((o) => gradValues.add(o)); }
        continue;
      }
      const body = n.body;
      body.inputs.forEach((b, i) => { if (gradValues.has(n.inputs[i]!)) gradValues.add(b); });
      for (const bn of body.nodes) if (isGrad(bn)) { set.add(bn); bn.outputs.forEach((o) => gradValues.add(o)); }
      n.outputs.forEach((o, i) => { if (gradValues.has(body.outputs[i]!)) gradValues.add(o); });
    }
    result[stage] = set;
  }
  return result;
}
