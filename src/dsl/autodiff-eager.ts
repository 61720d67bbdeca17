/** @file Eager gradients: rebuild the computation from xs to y out of eager lineage, differentiate it, replay it.
 *
 * Every eager tensor remembers the op that made it (`_src`). To differentiate eagerly we walk that
 * lineage back from y, keep only the tensors that depend on some x (everything else is a constant
 * of its current data), emit those ops into a graph whose inputs are the xs, and run the grad
 * pass's `vjp` on it. The new gradient nodes are then replayed op by op through `applyMulti`, so
 * the gradients are eager tensors with lineage of their own: eager gradients of gradients work.
 */
import { Builder, constAttrsOf, runNode, type Value } from "../ir/index.js";
import { vjp } from "../passes/grad.js";
import { Tensor } from "./tensor.js";
import { applyMulti } from "./apply.js";
import { outsideTrace } from "./trace.js";

/** Tensors between xs and y (those depending on an x), inputs before users. */
function pathFrom(y: Tensor, xs: ReadonlySet<Tensor>): { order: Tensor[]; dep: Set<Tensor> } {
  const dep = new Set<Tensor>();
  const done = new Set<Tensor>();
  const order: Tensor[] = [];
  // iterative post-order: eager histories can be long
  const stack: [Tensor, boolean][] = [[y, false]];
  while (stack.length) {
    const [t, expanded] = stack.pop()!;
    if (done.has(t)) continue;
    if (xs.has(t) || !t._src) {
      done.add(t);
      if (xs.has(t)) dep.add(t);
      continue;
    }
    if (!expanded) {
      stack.push([t, true]);
      for (const i of t._src.inputs) if (!done.has(i)) stack.push([i, false]);
      continue;
    }
    done.add(t);
    if (t._src.inputs.some((i) => dep.has(i))) {
      dep.add(t);
      order.push(t);
    }
  }
  return { order, dep };
}

export function eagerGradients(y: Tensor, xs: readonly Tensor[]): Tensor[] {
  return outsideTrace(() => {
    const xset = new Set(xs);
    const { order, dep } = pathFrom(y, xset);
    const b = new Builder("eager_grad");
    const val = new Map<Tensor, Value>();
    const known = new Map<Value, Tensor>();
    for (const x of xset) {
      const v = b.input({ dtype: x.dtype, shape: x.shape });
      val.set(x, v);
      known.set(v, x);
    }
    const lift = (t: Tensor): Value => {
      let v = val.get(t);
      if (!v) {
        v = b.emit("const", [], constAttrsOf(t.nd));
        val.set(t, v);
        known.set(v, t);
      }
      return v;
    };
    for (const t of order) {
      const s = t._src!;
      const v = b.emit(s.op, s.inputs.map(lift), s.attrs as never, s.loc, s.body);
      val.set(t, v);
      known.set(v, t);
    }
    const first = b.finish().nodes.length;
    const yv = dep.has(y) ? val.get(y)! : lift(y);
    const grads = vjp(b, yv, xs.map((x) => val.get(x)!));
    // replay the new nodes eagerly so the results carry lineage
    const g = b.finish();
    for (const n of g.nodes.slice(first)) {
      const ins = n.inputs.map((v) => known.get(v)!);
      // a node with a body (a custom_grad a gradFunc called) keeps it in its lineage, so the
      // next order differentiates through the user's rule again
      const outs = n.body
        ? runNode(n, ins.map((t) => t.nd)).map((a) => new Tensor({ nd: a, src: { op: n.op, inputs: ins, attrs: n.attrs, body: n.body!, ...(n.loc ? { loc: n.loc } : {}) } }))
        : applyMulti(n.op, ins, n.attrs as never);
      n.outputs.forEach((o, i) => known.set(o, outs[i]!));
    }
    return grads.map((v) => known.get(v)!);
  });
}
