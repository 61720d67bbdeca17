/** @file GRAFT_DUMP=<dir>: every compiled signature writes its stages, source, decisions and inputs there (like XLA's dump flag). */
import { envVar, needNode } from "../ir/platform.js";
import { allocStorage, parseDType, print, safeName, toJSON, UsageError, type Graph, type NDArray } from "../ir/index.js";
import { toDot } from "../ir/dot.js";
import { STAGES, type StageName } from "../passes/pipeline.js";
import { setDumpListener, type CompileRecord } from "./registry.js";
import { gradientNodes } from "./provenance.js";
import { fusionText, loweringFor, memoryText, passesText, reasonText } from "./dump-text.js";
import { fuse } from "../passes/fuse.js";

/**
 * File layout, per function and trace (`<fn>.s<NN>.` prefix, NN = the n-th trace, so names sort
 * in the order things happened):
 *   00-reason.txt              why it (re)traced, the signature, inputs and state
 *   01-traced.{ir,json,dot}    02-grad.*  03-optimized.*  04-fused.*   (the stages that exist)
 *   02-grad.pNN-<pass>.ir      the graph after each pass (GRAFT_DUMP_PASSES=1)
 *   05-source-<backend>.js     the generated code
 *   06-passes.txt              each pass with node counts, and the rewrites that fired
 *   07-fusion.txt              fusion decisions with reasons (merged, refused)
 *   08-memory.txt              the memory plan (peak bytes)
 *   09-stats.json              node counts, kernels, bytes (the executable's stats())
 *   inputs.json                the example inputs and state values (base64, little-endian)
 *   info.json                  the manifest tying it together (what `graft` reads)
 */
export const DUMP_FORMAT = "graft-dump";
export const DUMP_VERSION = 1;

/** The manifest of one dumped signature (`<prefix>info.json`). File names are relative to the dump dir. */
export interface DumpInfo {
  readonly format: typeof DUMP_FORMAT;
  readonly version: number;
  readonly fn: string;
  readonly backend: string;
  readonly sig: number;
  readonly prefix: string;
  readonly signature: string;
  readonly reason: string;
  readonly stages: Partial<Record<StageName, { readonly ir: string; readonly json: string; readonly dot: string; readonly nodes: number }>>;
  readonly source: string;
  readonly fusion: string;
  readonly memory: string;
  readonly stats: string;
  readonly inputs: string;
  /** Pass log (06-passes.txt). */
  readonly passes: string;
  /** The graph after each pass, in order (GRAFT_DUMP_PASSES=1). */
  readonly afterPass: readonly string[];
}

/** An array as JSON: dtype, shape, and its bytes (little-endian, the dtype's own width) in base64. */
export interface EncodedArray {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly base64: string;
}

export function encodeArray(a: NDArray): EncodedArray {
  const store = allocStorage(a.dtype, a.data.length);
  store.set(a.data);
  return { dtype: a.dtype, shape: [...a.shape], base64: needNode("node:buffer", "graft dumps").Buffer.from(store.buffer, store.byteOffset, store.byteLength).toString("base64") };
}

export function decodeArray(e: EncodedArray): NDArray {
  const dtype = parseDType(e.dtype);
  const bytes = needNode("node:buffer", "graft dumps").Buffer.from(e.base64, "base64");
  const n = e.shape.reduce((x, y) => x * y, 1);
  const store = allocStorage(dtype, n);
  if (bytes.byteLength !== store.byteLength) throw new UsageError(`dump inputs: ${e.dtype}[${e.shape.join(",")}] needs ${store.byteLength} bytes, the file has ${bytes.byteLength}`);
  new Uint8Array(store.buffer).set(bytes);
  return { dtype, shape: [...e.shape], data: store };
}

const ext: Record<string, string> = { js: "js", tfjs: "js", interp: "ir" };

/** Unique file-name stem per fn() instance and folder: a second fn named "step" dumps as "step_1". */
const stems = new Map<string, WeakMap<object, string>>();
const usedStems = new Map<string, Set<string>>();
export function stemFor(dir: string, rec: Pick<CompileRecord, "owner" | "fnName">): string {
  const byOwner = stems.get(dir) ?? stems.set(dir, new WeakMap()).get(dir)!;
  const used = usedStems.get(dir) ?? usedStems.set(dir, new Set()).get(dir)!;
  let stem = byOwner.get(rec.owner);
  if (!stem) {
    const base = safeName(rec.fnName);
    stem = base;
    for (let i = 1; used.has(stem); i++) stem = `${base}_${i}`;
    used.add(stem);
    byOwner.set(rec.owner, stem);
  }
  return stem;
}

const pad = (n: number): string => String(n).padStart(2, "0");

/** Writes one compiled signature's files into `dir` and returns its manifest. */
export function writeDump(dir: string, rec: CompileRecord): DumpInfo {
  const fs = needNode("node:fs", "graft dumps");
  const path = needNode("node:path", "graft dumps");
  fs.mkdirSync(dir, { recursive: true });
  const prefix = `${stemFor(dir, rec)}.s${pad(rec.sigIndex)}.`;
  const write = (name: string, text: string): string => {
    fs.writeFileSync(path.join(dir, prefix + name), text.endsWith("\n") ? text : text + "\n");
    return prefix + name;
  };
  write("00-reason.txt", reasonText(rec));
  const stages: Record<string, DumpInfo["stages"][StageName]> = {};
  const made = gradientNodes(rec.stages);
  STAGES.forEach((stage, i) => {
    const g: Graph | undefined = rec.stages[stage];
    if (!g) return;
    const stem = `${pad(i + 1)}-${stage}`;
    stages[stage] = {
      ir: write(`${stem}.ir`, print(g)),
      json: write(`${stem}.json`, JSON.stringify(toJSON(g), null, 1)),
      dot: write(`${stem}.dot`, toDot(g, { isGrad: (n) => made[stage]?.has(n) ?? false })),
      nodes: g.nodes.length,
    };
  });
  const source = write(`05-source-${safeName(rec.backend)}.${ext[rec.backend] ?? "txt"}`, rec.exec.source());
  const lw = loweringFor(rec.stages);
  const passes = write("06-passes.txt", passesText(lw, fuse.name));
  const fusion = write("07-fusion.txt", fusionText(lw, fuse.name));
  const memory = write("08-memory.txt", memoryText(rec.stages));
  const stats = write("09-stats.json", JSON.stringify(rec.exec.stats(), null, 1));
  const inputs = write("inputs.json", JSON.stringify({
    inputs: rec.inputs.map(encodeArray),
    state: (rec.stateValues ?? []).map((a, i) => ({ name: rec.state[i]?.name ?? `state${i}`, ...encodeArray(a) })),
  }));
  const afterPass = (rec.passes ?? []).map((p, i) => write(`02-grad.p${pad(i + 1)}-${safeName(p.pass)}.ir`, print(p.graph)));
  const info: DumpInfo = {
    format: DUMP_FORMAT, version: DUMP_VERSION, fn: rec.fnName, backend: rec.backend, sig: rec.sigIndex, prefix,
    signature: rec.signature, reason: rec.reason, stages, source, passes, fusion, memory, stats, inputs, afterPass,
  };
  write("info.json", JSON.stringify(info, null, 1));
  return info;
}

let warned = false;
setDumpListener((rec) => {
  const dir = envVar("GRAFT_DUMP");
  if (!dir) return;
  try {
    writeDump(needNode("node:path", "GRAFT_DUMP").resolve(dir), rec);
  } catch (e) {
    // a dump must never break the program being dumped
    if (!warned) console.warn(`graft: GRAFT_DUMP=${dir}: could not write the dump (${(e as Error).message})`);
    warned = true;
  }
});
