/** @file The verifier: SSA order, arity, attributes, re-inferred types, state assigns. Errors print the node. */
import { VerifyError } from "./errors.js";
import { sameType, typeStr, type Graph, type Value } from "./graph.js";
import { opDef } from "./ops/index.js";
import { checkAttrs } from "./attrs.js";
import { Namer, printNode } from "./print.js";

/** Throws a VerifyError naming the first broken invariant; returns the graph for chaining. */
export function verify(g: Graph): Graph {
  const names = new Namer(g);
  const defined = new Set<Value>();
  const fail = (msg: string, where?: string): never => {
    throw new VerifyError(`verify @${g.name}: ${msg}${where ? `\n  in: ${where.trim()}` : ""}`);
  };
  const define = (v: Value, where?: string): void => {
    if (defined.has(v)) fail(`${names.name(v)} is defined twice`, where);
    defined.add(v);
  };
  g.inputs.forEach((v) => define(v));
  g.state.forEach((s) => define(s.value));
  for (const n of g.nodes) {
    const text = printNode(n, names, { locs: false }).split("\n")[0]!;
    const def = opDef(n.op);
    if (!def) fail(`unknown op '${n.op}'`, text);
    for (const v of n.inputs) if (!defined.has(v)) fail(`operand ${names.name(v)} is used before it is defined`, text);
    if (def.arity !== "variadic" && n.inputs.length !== def.arity) fail(`${n.op} takes ${def.arity} operand(s), has ${n.inputs.length}`, text);
    const checked = checkAttrs(n.op, n.attrs as Record<string, unknown>);
    if ("problems" in checked) fail(checked.problems.join("; "), text);
    let inferred;
    try {
      inferred = def.infer(n.inputs.map((v) => v.type), n.attrs as never, n.body);
    } catch (e) {
      fail(`${n.op} does not type-check: ${(e as { detail?: string }).detail ?? String(e)}`, text);
    }
    const types = Array.isArray(inferred) ? inferred : [inferred!];
    if (types.length !== n.outputs.length) fail(`${n.op} should define ${types.length} value(s), defines ${n.outputs.length}`, text);
    n.outputs.forEach((v, i) => {
      if (!sameType(v.type, types[i]!)) fail(`${names.name(v)} is declared ${typeStr(v.type)} but ${n.op} infers ${typeStr(types[i]!)}`, text);
      if (v.def !== n || v.index !== i) fail(`${names.name(v)} does not point back to its defining node`, text);
      define(v, text);
    });
    if (n.body) {
      try {
        verify(n.body);
      } catch (e) {
        // name the outer node too: a body's own numbering starts again at %0
        if (e instanceof VerifyError) fail(`in the body of ${names.name(n.outputs[0]!)} (${n.op}): ${e.detail}`, text);
        throw e;
      }
    }
  }
  for (const v of g.outputs) if (!defined.has(v)) fail(`returned value ${names.name(v)} is not defined`);
  const stateVals = new Set(g.state.map((s) => s.value));
  const assigned = new Set<Value>();
  for (const a of g.assigns) {
    const text = `assign ${names.name(a.state)}, ${names.name(a.value)}`;
    if (!stateVals.has(a.state)) fail(`assign target ${names.name(a.state)} is not a state parameter`, text);
    if (!defined.has(a.value)) fail(`assigned value ${names.name(a.value)} is not defined`, text);
    if (assigned.has(a.state)) fail(`state ${names.name(a.state)} is assigned twice`, text);
    if (!sameType(a.state.type, a.value.type)) fail(`state is ${typeStr(a.state.type)} but the value is ${typeStr(a.value.type)}`, text);
    assigned.add(a.state);
  }
  return g;
}
