/** @file The one path every DSL op takes: emit IR inside a trace, or run it at once (eager mode). */
import { Builder, GraftError, interpret, runNode, withLoc, type AttrsOf, type OpName, type Value } from "../ir/index.js";
import { Tensor } from "./tensor.js";
import { currentTrace } from "./trace.js";
import { userLoc } from "./loc.js";

export type TensorLike = Tensor | number;

/** Applies a primitive to tensors and plain numbers (numbers take the other operands' dtype). */
export function apply<K extends OpName>(op: K, inputs: readonly TensorLike[], attrs?: Partial<AttrsOf<K>>): Tensor {
  return applyMulti(op, inputs, attrs)[0]!;
}

export function applyMulti<K extends OpName>(op: K, inputs: readonly TensorLike[], attrs?: Partial<AttrsOf<K>>): Tensor[] {
  const loc = userLoc();
  const tr = currentTrace();
  for (const x of inputs) {
    if (!(x instanceof Tensor) && typeof x !== "number") {
      throw new GraftError(`${op}: expected tensors or numbers, got ${x === null ? "null" : typeof x}`, "usage", loc);
    }
  }
  if (tr) {
    const vals = inputs.map((x) => (typeof x === "number" ? x : tr.lift(x)));
    return tr.builder.emitMulti(op, vals, attrs, loc).map((v) => tr.wrap(v));
  }
  return runEager(op, inputs, attrs, loc);
}

/** Eager mode: a one-node graph built (so inference and errors are the same) and interpreted. */
function runEager<K extends OpName>(op: K, inputs: readonly TensorLike[], attrs: Partial<AttrsOf<K>> | undefined, loc: string | undefined): Tensor[] {
  const b = new Builder(op);
  const tensors = inputs.filter((x): x is Tensor => x instanceof Tensor);
  const params = tensors.map((t) => b.input({ dtype: t.dtype, shape: t.shape }));
  let k = 0;
  const vals: (Value | number)[] = inputs.map((x) => (typeof x === "number" ? x : params[k++]!));
  const outs = b.emitMulti(op, vals, attrs, loc);
  b.output(...outs);
  const g = b.finish();
  let res;
  try {
    res = interpret(g, tensors.map((t) => t.nd));
  } catch (e) {
    throw withLoc(e, loc);
  }
  const node = g.nodes[g.nodes.length - 1]!;
  // lineage keeps numbers as the constant tensors the node really consumed
  const srcInputs = node.inputs.map((v) => {
    const i = params.indexOf(v);
    return i >= 0 ? tensors[i]! : new Tensor({ nd: runNode(v.def!, [])[0]! });
  });
  return res.outputs.map((nd) => new Tensor({ nd, src: { op, inputs: srcInputs, attrs: node.attrs, ...(loc ? { loc } : {}) } }));
}
