/** @file Common-subexpression elimination: one node per (op, attributes, inputs); commutative inputs sorted. */
import { numStr, opDef, rebuild, type Graph, type Node, type Value } from "../ir/index.js";
import type { Pass } from "./pass.js";

/** Attribute text in which -0, 0, NaN and Infinity stay distinct (JSON.stringify would merge them). */
function attrKey(a: Node["attrs"]): string {
  return Object.keys(a)
    .sort()
    .map((k) => {
      const v = a[k];
      return `${k}=${Array.isArray(v) ? `[${v.map(numStr).join(",")}]` : typeof v === "number" ? numStr(v) : JSON.stringify(v)}`;
    })
    .join(";");
}

/**
 * Every op is a pure function of its inputs and attributes (random ops of their key too), so two
 * nodes with the same op, attributes and inputs compute the same thing. Inputs of an op flagged
 * commutative are compared as a sorted pair: a*b and b*a are one node. Region nodes (fused
 * kernels) are left alone: their bodies are not part of the key.
 */
export function eliminateCommonSubexpressions(g: Graph): Graph {
  const ids = new Map<Value, number>();
  const idOf = (v: Value): number => {
    let i = ids.get(v);
    if (i === undefined) ids.set(v, (i = ids.size));
    return i;
  };
  const seen = new Map<string, Value[]>();
  return rebuild(g, (n, ins, b) => {
    if (n.body) return undefined;
    let keys = ins.map(idOf);
    if (opDef(n.op).flags?.commutative) keys = [...keys].sort((p, q) => p - q);
    const key = `${n.op}(${keys.join(",")}){${attrKey(n.attrs)}}`;
    const hit = seen.get(key);
    if (hit) return hit;
    const outs = b.emitMulti(n.op, ins, n.attrs as never, n.loc);
    seen.set(key, outs);
    return outs;
  });
}

export const cse: Pass = {
  name: "cse",
  description: "merge nodes with the same op, attributes and inputs (commutative inputs in either order)",
  run: (g) => eliminateCommonSubexpressions(g),
};
