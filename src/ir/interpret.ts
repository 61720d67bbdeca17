/** @file The reference interpreter: the living definition of every op. Runs any graph in f32 or f64. */
import { GraftError, NaNError, UsageError, withLoc } from "./errors.js";
import { sameShape, shapeStr } from "./shape.js";
import { nd, type NDArray } from "./ndarray.js";
import type { Graph, Node, Value } from "./graph.js";
import { opDef } from "./ops/index.js";
import type { NodeRunner } from "./region.js";

export interface InterpretOptions {
  /** Store f32 as f64 so the whole graph runs without f32 rounding (gradient checking). */
  readonly f64?: boolean;
  /** Throw a NaNError at the first node that produces a NaN or Inf. */
  readonly checkNumerics?: boolean;
}

export interface InterpretResult {
  readonly outputs: NDArray[];
  /** New value of every state parameter, in `graph.state` order (unchanged ones pass through). */
  readonly state: NDArray[];
}

/** Ops whose semantics need the interpreter itself (region nodes) register a runner here. */
const regionRunners = new Map<string, NodeRunner>();
export function registerRegionRunner(op: string, run: NodeRunner): void {
  regionRunners.set(op, run);
}

function checkArg(v: Value, a: NDArray, what: string): void {
  if (!sameShape(v.shape, a.shape) || (a.dtype !== v.dtype && !(a.dtype === "f64" && v.dtype === "f32"))) {
    throw new UsageError(`interpret: ${what} expects ${v.dtype}${shapeStr(v.shape)}, got ${a.dtype}${shapeStr(a.shape)}`);
  }
}

/** Runs one node on concrete inputs. */
export function runNode(n: Node, ins: readonly NDArray[], opts: InterpretOptions = {}): NDArray[] {
  const region = regionRunners.get(n.op);
  if (region) return region(n, ins, opts);
  const def = opDef(n.op);
  // a region's semantics are its body; other ops with a body (custom_grad) define their own
  if (n.body && def.kind === "region") return interpret(n.body, ins, [], opts).outputs;
  const out = def.interpret(ins, n.attrs as never, n.outputs[0]!.type, !!opts.f64);
  return [out];
}

/**
 * Runs `g` on `inputs` (one per graph input) and `state` (one per state parameter).
 * Pure: inputs are never written.
 */
export function interpret(g: Graph, inputs: readonly NDArray[], state: readonly NDArray[] = [], opts: InterpretOptions = {}): InterpretResult {
  if (inputs.length !== g.inputs.length) throw new UsageError(`interpret: @${g.name} takes ${g.inputs.length} input(s), got ${inputs.length}`);
  if (state.length !== g.state.length) throw new UsageError(`interpret: @${g.name} has ${g.state.length} state parameter(s), got ${state.length}`);
  const env = new Map<Value, NDArray>();
  const wide = (a: NDArray): NDArray => (opts.f64 && a.dtype === "f32" && !(a.data instanceof Float64Array) ? nd("f32", a.shape, a.data, true) : a);
  g.inputs.forEach((v, i) => (checkArg(v, inputs[i]!, `input ${i}`), env.set(v, wide(inputs[i]!))));
  g.state.forEach((s, i) => (checkArg(s.value, state[i]!, `state '${s.name}'`), env.set(s.value, wide(state[i]!))));
  for (const n of g.nodes) {
    let outs: NDArray[];
    try {
      outs = runNode(n, n.inputs.map((v) => env.get(v)!), opts);
    } catch (e) {
      throw withLoc(e instanceof GraftError ? e : new GraftError(`${n.op}: ${String(e)}`), n.loc);
    }
    if (opts.checkNumerics) checkFinite(n, outs);
    n.outputs.forEach((v, i) => env.set(v, outs[i]!));
  }
  const newState = g.state.map((s) => env.get(s.value)!);
  for (const a of g.assigns) newState[g.state.findIndex((s) => s.value === a.state)] = env.get(a.value)!;
  return { outputs: g.outputs.map((v) => env.get(v)!), state: newState };
}

function checkFinite(n: Node, outs: readonly NDArray[]): void {
  for (const o of outs) {
    if (o.dtype !== "f32" && o.dtype !== "f64") continue;
    for (let i = 0; i < o.data.length; i++) {
      if (!Number.isFinite(o.data[i]!)) {
        const kind = Number.isNaN(o.data[i]!) ? "NaN" : "Inf";
        throw new NaNError(`checked run: ${n.op} produced ${kind} at element ${i} of ${o.dtype}${shapeStr(o.shape)}`, n.loc);
      }
    }
  }
}
