/** @file What a backend is: something that turns lowered stages into an Executable, and the registry of them. */
import { UsageError, type NDArray } from "../ir/index.js";
import type { Stages } from "../passes/pipeline.js";
import type { CacheCodec } from "./cache.js";

export interface ExecStats {
  readonly backend: string;
  /** Node count of each stage that exists. */
  readonly nodes: Partial<Record<keyof Stages, number>>;
  readonly kernels: number;
  /** Bytes of buffers the executable holds between steps (0 when it allocates per call). */
  readonly bytes: number;
  /** Per-kernel cumulative times, when compiled with `profile: true` (js backend). */
  readonly profile?: readonly KernelProfile[];
}

/** One kernel's share of the time spent in steps (see `formatProfile`). */
export interface KernelProfile {
  readonly kernel: string;
  /** The IR it came from (first line) and the user's line, when known. */
  readonly what: string;
  readonly loc?: string;
  readonly calls: number;
  readonly ms: number;
}

/**
 * One piece of state (a variable or optimizer slot) as a backend sees it. A backend may keep the
 * value resident in its own form (a tf.Variable, a buffer in its pool) and hand `read` a way to
 * download it, so steps never copy state back and forth.
 */
export interface StateCell {
  readonly name: string;
  /** The current value (downloads it if a backend holds it). */
  read(): NDArray;
  /** Replaces the value with a host array (drops any resident copy). */
  write(a: NDArray): void;
  /** A backend-held copy; `owner` is the backend's name, `download` brings it to the host. */
  resident?: { readonly owner: string; readonly value: unknown; download(): NDArray };
}

/** One compiled signature of one step. */
export interface Executable {
  /** Runs one step: returns the outputs; state is read and updated through the cells. */
  run(inputs: readonly NDArray[], state: readonly StateCell[]): NDArray[];
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
  /** How the persistent compile cache (cache.ts) saves and restores this backend's executables; absent: not cached. */
  readonly cacheCodec?: (opts: BackendOptions) => CacheCodec<Executable>;
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
