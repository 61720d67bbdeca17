/** @file Node built-ins reached lazily (process.getBuiltinModule), so graft's core has no top-level Node import and loads in browsers. */
import { UsageError } from "./errors.js";

/** The built-ins graft uses; type-only references, erased from the JavaScript. */
export interface NodeBuiltins {
  "node:fs": typeof import("node:fs");
  "node:path": typeof import("node:path");
  "node:os": typeof import("node:os");
  "node:url": typeof import("node:url");
  "node:module": typeof import("node:module");
  "node:worker_threads": typeof import("node:worker_threads");
  "node:buffer": typeof import("node:buffer");
}

interface ProcessLike {
  getBuiltinModule?: (id: string) => unknown;
  env?: Record<string, string | undefined>;
  cwd?: () => string;
}
const proc = (): ProcessLike | undefined => (globalThis as { process?: ProcessLike }).process;

/**
 * A Node built-in, or undefined where there is none (a browser, a worker without Node).
 * `process.getBuiltinModule` is synchronous (Node >= 20.16), so callers need not become async;
 * bundlers see no import of "node:*" and leave nothing unresolved.
 */
export function nodeBuiltin<K extends keyof NodeBuiltins>(id: K): NodeBuiltins[K] | undefined {
  const get = proc()?.getBuiltinModule;
  return typeof get === "function" ? (get(id) as NodeBuiltins[K] | undefined) : undefined;
}

/** A Node built-in that `feature` cannot work without: a UsageError naming both where it is missing. */
export function needNode<K extends keyof NodeBuiltins>(id: K, feature: string): NodeBuiltins[K] {
  const m = nodeBuiltin(id);
  if (!m) throw new UsageError(`${feature} needs Node.js >= 20.16 (${id}), which this environment does not have`);
  return m;
}

/** An environment variable, or undefined (always undefined in browsers). */
export const envVar = (name: string): string | undefined => proc()?.env?.[name];

/** The working directory, or undefined in browsers. */
export const cwd = (): string | undefined => (typeof proc()?.cwd === "function" ? proc()!.cwd!() : undefined);

/** A feature needs an optional package that is not installed; `.packageName` says which. */
export class MissingDependencyError extends UsageError {
  constructor(
    readonly packageName: string,
    feature: string,
    cause?: unknown,
  ) {
    super(`${feature} needs the optional package '${packageName}', which is not installed: npm install ${packageName}${cause ? ` (${String(cause).split("\n")[0]})` : ""}`);
    this.name = "MissingDependencyError";
  }
}

/** Whether an import/require error says that `pkg` itself (not something inside it) was not found. */
export function isMissing(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  const msg = String((e as { message?: unknown } | null)?.message ?? e);
  return (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || /Cannot find (package|module)|Failed to resolve/.test(msg)) && msg.includes(pkg);
}

/** `await load()`, turning "package not found" into a MissingDependencyError that names `pkg` and the install command. */
export async function importOptional<T>(pkg: string, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (isMissing(e, pkg)) throw new MissingDependencyError(pkg, feature, e);
    throw e;
  }
}
