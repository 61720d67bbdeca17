/** @file Who compiled what: fn() reports every compiled signature here; dumps and the `graft` CLI listen. */
import { nd, type Graph, type NDArray } from "../ir/index.js";
import { envVar } from "../ir/platform.js";
import type { Stages } from "../passes/pipeline.js";
import type { Executable, StateCell } from "./backend.js";

/** One signature of one compiled function, as fn() reports it right after compiling. */
export interface CompileRecord {
  /** Identity of the fn() instance (two fns may share a name). */
  readonly owner: object;
  readonly fnName: string;
  readonly backend: string;
  /** 0-based count of this fn's traces: the n-th (re)trace. */
  readonly sigIndex: number;
  readonly signature: string;
  /** Why it (re)traced: "first call", or what changed in the signature. */
  readonly reason: string;
  readonly stages: Stages;
  readonly exec: Executable;
  /** The example inputs it was traced for (flattened leaves, in graph input order). */
  readonly inputs: readonly NDArray[];
  /** The state it reads, in graph.state order (values as they were before the first run). */
  readonly state: readonly StateCell[];
  /** Copies of the state's values when it compiled (filled in by reportCompile). */
  readonly stateValues?: readonly NDArray[];
  /** The user's step function, and how to rebuild its call arguments from tensors for `inputs` (for checkers). */
  readonly step: (...args: never[]) => unknown;
  readonly makeArgs: (leaves: readonly unknown[]) => unknown[];
  /** The compiling copy of graft's DSL tools (src/dsl/kit.ts), typed there; the runtime only carries it. */
  readonly kit?: unknown;
  /** Graphs after each pass, when the pipeline was asked for them (GRAFT_DUMP_PASSES=1). */
  readonly passes?: readonly { readonly pass: string; readonly graph: Graph }[];
  /** Milliseconds per compile phase: traced, grad, optimized, fused, codegen. */
  readonly compileMs?: Readonly<Record<string, number>>;
}

export type CompileListener = (rec: CompileRecord) => void;

// Kept on globalThis so that two copies of graft in one process (the CLI's and a script's) meet.
const KEY = Symbol.for("graft.compileListeners");
const listeners: Set<CompileListener> = ((globalThis as Record<symbol, unknown>)[KEY] ??= new Set<CompileListener>()) as Set<CompileListener>;

/** Subscribes to compilations; returns the unsubscribe function. */
export function onCompile(listener: CompileListener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** Whether anyone wants compile records (fn() skips building them otherwise). */
export const compileWatched = (): boolean => listeners.size > 0 || !!envVar("GRAFT_DUMP");

let dumpListener: CompileListener | undefined;
/** The GRAFT_DUMP writer registers itself here (runtime/dump.ts), so this file stays dependency-free. */
export function setDumpListener(l: CompileListener): void {
  dumpListener = l;
}

/** The pipeline's per-pass hook, keeping every intermediate graph when GRAFT_DUMP_PASSES=1 asks for them. */
export function passRecorder(): { readonly dump?: (pass: string, graph: Graph) => void; readonly passes: { pass: string; graph: Graph }[] } {
  const passes: { pass: string; graph: Graph }[] = [];
  const passesEnv = envVar("GRAFT_DUMP_PASSES");
  if (!passesEnv || passesEnv === "0" || !compileWatched()) return { passes };
  return { passes, dump: (pass, graph) => void passes.push({ pass, graph }) };
}

/** Called by fn() after compiling a signature. Inputs are copied: callers may reuse their buffers. */
export function reportCompile(rec: CompileRecord): void {
  if (!compileWatched()) return;
  const clone = (a: NDArray): NDArray => nd(a.dtype, a.shape, a.data);
  const copy: CompileRecord = { ...rec, inputs: rec.inputs.map(clone), stateValues: rec.state.map((c) => clone(c.read())) };
  if (envVar("GRAFT_DUMP") && dumpListener) dumpListener(copy);
  for (const l of listeners) l(copy);
}
