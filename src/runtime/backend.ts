/** @file What a backend is: something that turns lowered stages into an Executable, and the registry of them. */
import { UsageError, type NDArray } from "../ir/index.js";
import type { Stages } from "../passes/pipeline.js";

export interface ExecStats {
  readonly backend: string;
  /** Node count of each stage that exists. */
  readonly nodes: Partial<Record<keyof Stages, number>>;
  readonly kernels: number;
  /** Bytes of buffers the executable holds between steps (0 when it allocates per call). */
  readonly bytes: number;
}

export interface StepResult {
  readonly outputs: NDArray[];
  /** New state in graph-state order; may be the very arrays passed in, updated in place. */
  readonly state: NDArray[];
}

/** One compiled signature of one step. */
export interface Executable {
  run(inputs: readonly NDArray[], state: readonly NDArray[]): StepResult;
  /** The generated code (or a description of what runs). */
  source(): string;
  stats(): ExecStats;
}

export interface BackendOptions {
  readonly checkNumerics?: boolean;
  readonly [key: string]: unknown;
}

export interface Backend {
  readonly name: string;
  compile(stages: Stages, opts: BackendOptions): Executable;
}

const backends = new Map<string, Backend>();

export function registerBackend(b: Backend): void {
  backends.set(b.name, b);
}

export function getBackend(name: string): Backend {
  const b = backends.get(name);
  if (!b) throw new UsageError(`unknown backend '${name}' (available: ${[...backends.keys()].join(", ")})`);
  return b;
}

export const backendNames = (): string[] => [...backends.keys()];

/** The backend `fn` uses when none is named: the fastest one registered. */
export function defaultBackend(): string {
  for (const name of ["js", "tfjs", "interp"]) if (backends.has(name)) return name;
  return "interp";
}

export function nodeCounts(stages: Stages): ExecStats["nodes"] {
  const out: Record<string, number> = {};
  for (const [k, g] of Object.entries(stages)) if (g) out[k] = g.nodes.length;
  return out;
}
