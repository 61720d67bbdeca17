/** @file Autodiff ops: the `grad` marker that `gradients()` records while tracing, and `custom_grad`.
 *
 * `grad %y, %x1, ..., %xn` stands for "d sum(y) / d xi" and defines one value per x, typed like it.
 * It exists only in the traced stage: the grad pass (src/passes/grad.ts) replaces every marker by
 * ordinary IR, innermost first, so the traced stage shows the program as the user wrote it.
 *
 * `custom_grad %x1, ..., %xn, %value, %c1, ..., %cm {n=n}` is the identity on `%value` whose VJP is
 * its body, a graph `(x1..xn, value, dy, c1..cm) -> (dx1..dxn)` traced from the user's gradFunc.
 * The `c`s are outer values the gradFunc closed over (closure conversion, as JAX's residuals);
 * they get no gradient. The grad stage replaces the node by `%value` once every marker is expanded.
 */
import { UsageError, VerifyError } from "../errors.js";
import { isFloat } from "../dtype.js";
import { nd } from "../ndarray.js";
import { sameType, typeStr, type Builder, type Graph, type Value } from "../graph.js";
import { defineOp } from "./def.js";

/** Emits a copy of `body` into `b` with its inputs bound to `args`; returns its outputs. */
export function inlineBody(b: Builder, body: Graph, args: readonly Value[]): Value[] {
  const map = new Map<Value, Value>();
  body.inputs.forEach((v, i) => map.set(v, args[i]!));
  for (const n of body.nodes) {
    const outs = b.emitMulti(n.op, n.inputs.map((v) => map.get(v)!), n.attrs as never, n.loc ?? b.loc, n.body);
    n.outputs.forEach((o, i) => map.set(o, outs[i]!));
  }
  return body.outputs.map((v) => map.get(v)!);
}

export const autodiffOps = {
  grad: defineOp<{}>({
    kind: "region",
    arity: "variadic",
    attrs: {},
    infer: (ins) => {
      if (ins.length < 2) throw new VerifyError("grad: needs the differentiated value and at least one input (grad %y, %x...)");
      if (!isFloat(ins[0]!.dtype)) throw new VerifyError(`grad: can only differentiate a float value, got ${typeStr(ins[0]!)}`);
      return ins.slice(1).map((t) => ({ dtype: t.dtype, shape: [...t.shape] }));
    },
    interpret: () => {
      throw new UsageError("grad: a gradient marker must be expanded by the grad pass (lowerStages) before it runs");
    },
    vjp: { none: "gradient markers are expanded innermost-first, before any outer gradient sees them" },
    js: { kernel: "region" },
    tfjs: () => {
      throw new UsageError("grad: a gradient marker must be expanded by the grad pass before codegen");
    },
    onnx: { none: "gradient markers are expanded by the grad pass before any backend sees the graph" },
  }),
  custom_grad: defineOp<{ n: number }>({
    kind: "barrier",
    arity: "variadic",
    attrs: { n: "int" },
    infer: (ins, a, body) => {
      if (!body) throw new VerifyError("custom_grad: needs a body (the gradient function)");
      if (!Number.isInteger(a.n) || a.n < 0 || a.n >= ins.length) throw new VerifyError(`custom_grad: n=${a.n} but the node has ${ins.length} operand(s)`);
      const value = ins[a.n]!;
      const expect = [...ins.slice(0, a.n + 1), value, ...ins.slice(a.n + 1)];
      if (body.inputs.length !== expect.length || body.inputs.some((v, i) => !sameType(v.type, expect[i]!))) {
        throw new VerifyError(`custom_grad: body takes (${body.inputs.map((v) => typeStr(v.type)).join(", ")}) but should take (${expect.map(typeStr).join(", ")}): inputs, value, dy, captures`);
      }
      if (body.outputs.length !== a.n || body.outputs.some((v, i) => !sameType(v.type, ins[i]!))) {
        throw new VerifyError(`custom_grad: body returns (${body.outputs.map((v) => typeStr(v.type)).join(", ")}) but should return one gradient per input (${ins.slice(0, a.n).map(typeStr).join(", ")})`);
      }
      if (body.state.length || body.assigns.length) throw new VerifyError("custom_grad: a body has no state");
      return { dtype: value.dtype, shape: [...value.shape] };
    },
    interpret: (ins, a, out, wide) => nd(out.dtype, out.shape, ins[a.n]!.data, wide),
    // the user's rule, inlined: it is ordinary IR, so an outer gradient differentiates it in turn
    vjp: ({ b, x, dy, attrs, body }) => {
      const n = attrs.n;
      const cts = inlineBody(b, body!, [...x.slice(0, n + 1), dy, ...x.slice(n + 1)]);
      return x.map((_, i) => (i < n ? cts[i]! : null));
    },
    js: { expr: (args, a) => args[a.n]! },
    tfjs: (args, a) => `${args[a.n]}`,
    onnx: (e, ins, a) => e.node("Identity", [ins[a.n]!]),
  }),
} as const;
