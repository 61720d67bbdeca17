/** @file Dead-code elimination: keep what the outputs and the state assigns need; drop no-op assigns. */
import { Graph, rebuild, type Node, type Value } from "../ir/index.js";
import type { Pass } from "./pass.js";

/**
 * Roots are the returned values and every assigned value (a state update is an effect even when
 * nothing returns it). Every op is pure (random ops are functions of their key), so a node none
 * of whose outputs reaches a root can go. `assign s, s` writes a state its own value: dropped.
 */
export function eliminateDeadCode(g: Graph): Graph {
  const assigns = g.assigns.filter((a) => a.value !== a.state);
  const live = new Set<Value>([...g.outputs, ...assigns.map((a) => a.value)]);
  const keep = new Set<Node>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!n.outputs.some((v) => live.has(v))) continue;
    keep.add(n);
    for (const v of n.inputs) live.add(v);
  }
  if (keep.size === g.nodes.length && assigns.length === g.assigns.length) return g;
  // the kept subgraph shares g's values; rebuild renumbers it into a fresh graph
  return rebuild(new Graph(g.name, g.inputs, g.state, g.nodes.filter((n) => keep.has(n)), g.outputs, assigns));
}

export const dce: Pass = {
  name: "dce",
  description: "drop nodes that no output or state assign needs, and assigns of a state to itself",
  run: (g) => eliminateDeadCode(g),
};
