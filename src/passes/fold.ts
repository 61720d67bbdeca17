/** @file Constant folding through the reference interpreter, so folding and running can never disagree. */
import { constAttrsOf, nd, opDef, rebuild, runNode, sizeOf, type Graph, type NDArray, type Node, type Value } from "../ir/index.js";
import type { Pass, PassContext } from "./pass.js";

/** Arrays bigger than this are never materialized at compile time, even when the result would be a splat. */
const MAX_WORK_ELEMENTS = 1 << 20;

/** The array a source node (const, iota) holds, computed by the interpreter. */
function sourceArray(v: Value, cache: Map<Value, NDArray>): NDArray | undefined {
  const n = v.def;
  if (!n || opDef(n.op).kind !== "source" || n.body) return undefined;
  let a = cache.get(v);
  if (!a) {
    if (sizeOf(v.shape) > MAX_WORK_ELEMENTS) return undefined;
    a = runNode(n, [])[0]!;
    cache.set(v, a);
  }
  return a;
}

/**
 * Replaces a node whose inputs are all constants by the constant it computes, running the node
 * with the interpreter's own `runNode` (in f32, as the step would). The result is stored splatted
 * when every element is equal (any size), otherwise only up to `maxFoldElements` elements, so
 * folding never bloats the IR with big tables. A node the interpreter rejects (an index out of
 * range) is left in place for the runtime to report.
 */
export function foldConstants(g: Graph, ctx: PassContext): Graph {
  const maxElems = ctx.options.maxFoldElements ?? 1024;
  const cache = new Map<Value, NDArray>();
  return rebuild(g, (n: Node, ins, b) => {
    const kind = opDef(n.op).kind;
    if (n.body || kind === "source" || n.outputs.length !== 1 || ins.length === 0) return undefined;
    if (sizeOf(n.outputs[0]!.shape) > MAX_WORK_ELEMENTS) return undefined;
    const arrays: NDArray[] = [];
    for (const v of ins) {
      const a = sourceArray(v, cache);
      if (!a) return undefined;
      arrays.push(a);
    }
    let out: NDArray;
    try {
      out = runNode(n, arrays)[0]!;
    } catch {
      return undefined;
    }
    const attrs = constAttrsOf(out);
    if (attrs.value.length > 1 && attrs.value.length > maxElems) return undefined;
    const c = b.emit("const", [], attrs, n.loc);
    cache.set(c, nd(out.dtype, out.shape, out.data));
    return [c];
  });
}

export const fold: Pass = {
  name: "fold",
  description: "evaluate nodes whose inputs are all constants with the reference interpreter",
  run: foldConstants,
};
