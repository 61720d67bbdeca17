/** @file The persistent compile cache: a compiled step's lowered stages and backend program on disk, keyed by the traced graph.
 *
 * Key: sha256 over the traced graph's JSON (ops, attributes, constants, types, source lines),
 * the backend, the fn options that reach it, the cache format and graft's fingerprint (package
 * version plus the size and mtime of every file of graft's source, so an edited compiler never
 * reads an entry an older one wrote). The traced graph is the key, not the optimized one: a hit
 * skips autodiff, every pass, fusion, planning and codegen, and costs a trace, a hash, a file
 * read and `new Function`.
 *
 * An entry is one file `<key>.json`: a header line (format, key, fingerprint, byte length and
 * sha256 of the rest) and the payload (stages as IR JSON, the backend's program). It is written
 * to a temporary file and renamed over the entry, so readers see an old entry or a whole new
 * one, never part of one; two writers leave one of their (equal) entries. An entry that fails
 * any check (header, length, checksum, key, fingerprint, JSON, the backend's own validation) is
 * ignored and rebuilt, and the reason is recorded.
 *
 * On unless GRAFT_CACHE=0 or `fn(step, { cache: false })`; GRAFT_CACHE_DIR picks the folder
 * (default: $XDG_CACHE_HOME/graft or ~/.cache/graft). Under vitest or CI it is off unless
 * GRAFT_CACHE_DIR or GRAFT_CACHE=1 asks for it, so test runs never share compiled state.
 * Without node:fs (a browser) it is off.
 */
import { fromJSON, toJSON, type Graph } from "../ir/index.js";
import type { Stages, StageName } from "../passes/pipeline.js";

type Fs = typeof import("node:fs");
type Crypto = typeof import("node:crypto");
type Path = typeof import("node:path");

const FORMAT = "graft-compile-cache";
/** Bump when the entry layout changes. */
export const CACHE_VERSION = 1;

const builtin = <T>(name: string): T | undefined => {
  try {
    return (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process?.getBuiltinModule?.(name) as T | undefined;
  } catch {
    return undefined;
  }
};

/** Where entries go, or undefined when the cache is off (`option` is fn's `cache` option). */
export function cacheDir(option?: unknown): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  if (option === false || env["GRAFT_CACHE"] === "0") return undefined;
  if (typeof option === "string" && option) return option;
  if (env["GRAFT_CACHE_DIR"]) return env["GRAFT_CACHE_DIR"];
  if ((env["VITEST"] || env["CI"]) && env["GRAFT_CACHE"] !== "1") return undefined;
  const path = builtin<Path>("node:path");
  const os = builtin<typeof import("node:os")>("node:os");
  if (!path || !os) return undefined;
  const base = env["XDG_CACHE_HOME"] || path.join(os.homedir(), ".cache");
  return path.join(base, "graft");
}

let fingerprintMemo: string | undefined;
/** graft's version and a digest of its own source files' sizes and mtimes (once per process). */
function fingerprint(fs: Fs, path: Path, crypto: Crypto): string {
  if (fingerprintMemo) return fingerprintMemo;
  const root = path.dirname(path.dirname(new URL(import.meta.url).pathname)); // src/
  const h = crypto.createHash("sha256");
  let version = "?";
  try {
    version = (JSON.parse(fs.readFileSync(path.join(path.dirname(root), "package.json"), "utf8")) as { version?: string }).version ?? "?";
  } catch {
    // bundled without package.json: the source digest still tells versions apart
  }
  h.update(version);
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      const st = fs.statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else h.update(`${path.relative(root, p)}:${st.size}:${st.mtimeMs}\n`);
    }
  };
  walk(root);
  fingerprintMemo = `${version}+${h.digest("hex").slice(0, 16)}`;
  return fingerprintMemo;
}

/** What a backend stores and restores; `restore` validates the data and throws on anything wrong. */
export interface CacheCodec<E> {
  save(exec: E): unknown;
  restore(data: unknown, stages: Stages): E;
}

export type CacheOutcome = "hit" | "stored" | "off" | `rebuilt: ${string}` | `not stored: ${string}`;

/** A cache handle for one compile: `lookup` then, on a miss, `store`. */
export interface CacheSlot {
  readonly key: string;
  lookup<E>(codec: CacheCodec<E>): { exec: E; stages: Stages } | { miss: string };
  store<E>(codec: CacheCodec<E>, stages: Stages, exec: E): CacheOutcome;
}

/** Opens the slot for a traced graph, or undefined when caching is off. */
export function cacheSlot(traced: Graph, backend: string, opts: Readonly<Record<string, unknown>>, option?: unknown): CacheSlot | undefined {
  const dir = cacheDir(option);
  const fs = builtin<Fs>("node:fs");
  const path = builtin<Path>("node:path");
  const crypto = builtin<Crypto>("node:crypto");
  if (!dir || !fs || !path || !crypto) return undefined;
  const print = fingerprint(fs, path, crypto);
  const options = Object.keys(opts).filter((k) => k !== "cache" && k !== "name" && ["string", "number", "boolean"].includes(typeof opts[k])).sort().map((k) => [k, opts[k]]);
  const key = crypto.createHash("sha256").update(JSON.stringify([FORMAT, CACHE_VERSION, print, backend, options])).update(JSON.stringify(toJSON(traced))).digest("hex");
  const file = path.join(dir, `${key}.json`);

  const read = (): unknown => {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      throw new Error("no entry");
    }
    const nl = text.indexOf("\n");
    if (nl < 0) throw new Error("no header line");
    const head = JSON.parse(text.slice(0, nl)) as Record<string, unknown>;
    const body = text.slice(nl + 1);
    if (head["format"] !== FORMAT || head["version"] !== CACHE_VERSION) throw new Error(`format ${String(head["format"])} v${String(head["version"])}`);
    if (head["fingerprint"] !== print) throw new Error(`written by graft ${String(head["fingerprint"])}, this is ${print}`);
    if (head["key"] !== key) throw new Error("key mismatch");
    if (head["length"] !== body.length) throw new Error(`truncated (${body.length} of ${String(head["length"])} characters)`);
    if (crypto.createHash("sha256").update(body).digest("hex") !== head["sha256"]) throw new Error("checksum mismatch");
    return JSON.parse(body);
  };

  return {
    key,
    lookup<E>(codec: CacheCodec<E>) {
      try {
        const payload = read() as { stages?: Record<string, unknown>; exec?: unknown };
        if (typeof payload !== "object" || payload === null || typeof payload.stages !== "object" || payload.stages === null) throw new Error("no stages");
        const stages = lazyStages(traced, payload.stages);
        return { exec: codec.restore(payload.exec, stages), stages };
      } catch (e) {
        return { miss: e instanceof Error ? e.message : String(e) };
      }
    },
    store<E>(codec: CacheCodec<E>, stages: Stages, exec: E): CacheOutcome {
      try {
        const st: Record<string, unknown> = {};
        for (const s of ["grad", "optimized", "fused"] as const) {
          const g = stages[s];
          if (g) st[s] = g === stages.traced ? "traced" : toJSON(g);
        }
        const body = JSON.stringify({ stages: st, exec: codec.save(exec) });
        const head = JSON.stringify({ format: FORMAT, version: CACHE_VERSION, fingerprint: print, key, length: body.length, sha256: crypto.createHash("sha256").update(body).digest("hex") });
        fs.mkdirSync(dir, { recursive: true });
        const tmp = `${file}.${(globalThis as { process?: { pid?: number } }).process?.pid ?? 0}.${crypto.randomBytes(6).toString("hex")}.tmp`;
        fs.writeFileSync(tmp, `${head}\n${body}`);
        fs.renameSync(tmp, file);
        return "stored";
      } catch (e) {
        return `not stored: ${e instanceof Error ? e.message : String(e)}`;
      }
    },
  };
}

/** Stages read back from an entry: each parsed from its JSON the first time it is asked for. */
function lazyStages(traced: Graph, json: Record<string, unknown>): Stages {
  const out: Record<string, unknown> = { traced };
  for (const s of ["grad", "optimized", "fused"] as const satisfies readonly StageName[]) {
    const j = json[s];
    if (j === undefined) continue;
    let g: Graph | undefined;
    Object.defineProperty(out, s, { enumerable: true, get: () => (g ??= j === "traced" ? traced : fromJSON(j)) });
  }
  return out as unknown as Stages;
}
