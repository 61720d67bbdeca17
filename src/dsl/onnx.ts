/** @file exportONNX and importONNX: a compiled step as an ONNX model, and an ONNX model as a callable graft function. */
import { nd, print, UsageError, type Graph } from "../ir/index.js";
import { encodeModel, importModel, lowerGraph, type ImportOptions } from "../codegen/onnx/index.js";
import type { CompiledFn } from "./fn.js";
import { apply, type TensorLike } from "./apply.js";
import { Tensor } from "./tensor.js";
import { variable, type Variable } from "./variable.js";
import { userLoc } from "./loc.js";
import { located } from "./ops.js";

/**
 * An ONNX ModelProto (opset 17) of `compiled` traced for `args`: the optimized graph, with
 * arguments as inputs `input_<i>`, state as inputs `state.<name>` and, for every assigned
 * variable, an output `state.<name>.next`; outputs `output_<i>`; constants as initializers;
 * each node's doc_string is the IR line and the user's file:line it came from.
 */
export function exportONNX<A extends unknown[], R>(compiled: CompiledFn<A, R>, ...args: A): Uint8Array {
  if (typeof compiled !== "function" || typeof (compiled as { graph?: unknown }).graph !== "function") {
    throw new UsageError("exportONNX: expected a function compiled with fn(step)", userLoc());
  }
  compiled.trace(...args);
  const g = compiled.graph("optimized");
  return located(() => encodeModel(lowerGraph(g, { docString: `graft step ${compiled.fnName}`, metadata: { "graft.ir": print(g) } }).model));
}


/** An imported model: its IR, one variable per state tensor, and a function that runs it (eagerly or inside a traced step). */
export interface ImportedModel {
  readonly graph: Graph;
  /** In graph.state order: graft's `state.<name>` inputs (zeros until assigned), then initializers made trainable. */
  readonly variables: readonly Variable[];
  /** Runs the model on tensors; state is read from (and assignments written to) `variables`. Differentiable. */
  call(...inputs: TensorLike[]): Tensor[];
}

export function importONNX(bytes: Uint8Array, opts: ImportOptions = {}): ImportedModel {
  if (!(bytes instanceof Uint8Array)) throw new UsageError("importONNX: expected the model's bytes (a Uint8Array or Buffer)", userLoc());
  const { graph, stateInit } = located(() => importModel(bytes, opts));
  const variables = graph.state.map((s, i) => variable(new Tensor({ nd: nd(s.value.dtype, s.value.shape, stateInit[i]) }), { name: s.name, trainable: s.trainable }));
  const call = (...inputs: TensorLike[]): Tensor[] => {
    if (inputs.length !== graph.inputs.length) throw new UsageError(`importONNX: the model takes ${graph.inputs.length} input(s), got ${inputs.length}`, userLoc());
    const env = new Map<unknown, Tensor | TensorLike>();
    graph.inputs.forEach((v, i) => env.set(v, inputs[i]!));
    graph.state.forEach((s, i) => env.set(s.value, variables[i]!));
    for (const n of graph.nodes) env.set(n.outputs[0]!, apply(n.op, n.inputs.map((v) => env.get(v)!), n.attrs as never));
    for (const a of graph.assigns) variables[graph.state.findIndex((s) => s.value === a.state)]!.assign(env.get(a.value) as Tensor);
    return graph.outputs.map((v) => env.get(v) as Tensor);
  };
  return { graph, variables, call };
}
