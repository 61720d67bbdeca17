/** @file Checkpoints: every variable of models, optimizers (counter, learning rate, slots) and metrics,
 * saved as a JSON manifest (`<prefix>.json`) plus one binary weights file (`<prefix>.bin`). */
import { needNode } from "../ir/platform.js";

/** Checkpoints are files: Node only (fs and path come lazily, so the rest of graft loads in browsers). */
const fsPath = () => ({ fs: needNode("node:fs", "Checkpoint"), path: needNode("node:path", "Checkpoint") });
import { isVariable, tensor, type Variable } from "../dsl/index.js";
import { GraftError, sameShape, shapeStr, UsageError, type DType } from "../ir/index.js";
import { Layer } from "./layers/layer.js";
import { Metric } from "./metrics.js";
import { Optimizer } from "./optimizers/optimizer.js";

/** What a checkpoint can hold: models and layers, optimizers, metrics, variables (single, list, record). */
export type Trackable = Layer | Optimizer | Metric | Variable | readonly Variable[] | { readonly [k: string]: Variable };

export interface ManifestEntry {
  readonly key: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Byte offset into the weights file (8-aligned) and length in bytes (little-endian data). */
  readonly offset: number;
  readonly byteLength: number;
}

export interface Manifest {
  readonly format: "graft-checkpoint";
  readonly version: 1;
  readonly weightsFile: string;
  readonly entries: readonly ManifestEntry[];
}

/** A checkpoint file that does not fit the objects it is restored into. */
export class CheckpointError extends GraftError {
  constructor(message: string) {
    super(message, "checkpoint");
  }
}

/**
 * `new Checkpoint({ model, optimizer })`: keys are stable paths ("model/layers.0.kernel",
 * "optimizer/slots/model/layers.0.kernel/m"), not variable names, so a fresh process can restore.
 */
export class Checkpoint {
  constructor(private readonly objects: { readonly [name: string]: Trackable }) {
    for (const [k, o] of Object.entries(objects)) if (!isTrackable(o)) throw new UsageError(`Checkpoint: '${k}' is not a model, layer, optimizer, metric or variable`);
  }

  /** Writes `<prefix>.json` and `<prefix>.bin`; returns their paths. */
  save(prefix: string): { manifest: string; weights: string } {
    const entries = this.entries();
    let offset = 0;
    const parts: { e: ManifestEntry; bytes: Uint8Array }[] = [];
    for (const [key, v] of entries) {
      const data = v.read().data;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      parts.push({ e: { key, dtype: v.dtype, shape: v.shape, offset, byteLength: bytes.byteLength }, bytes });
      offset += Math.ceil(bytes.byteLength / 8) * 8;
    }
    const bin = new Uint8Array(offset);
    for (const { e, bytes } of parts) bin.set(bytes, e.offset);
    const files = { manifest: `${prefix}.json`, weights: `${prefix}.bin` };
    const { fs, path } = fsPath();
    fs.mkdirSync(path.dirname(path.resolve(files.manifest)), { recursive: true });
    const manifest: Manifest = { format: "graft-checkpoint", version: 1, weightsFile: path.basename(files.weights), entries: parts.map((p) => p.e) };
    fs.writeFileSync(files.weights, bin);
    fs.writeFileSync(files.manifest, JSON.stringify(manifest, null, 1));
    return files;
  }

  /**
   * Loads every variable. Nothing is written unless the file fits exactly: a missing or extra key, or
   * a different shape or dtype, throws a CheckpointError listing every difference.
   */
  restore(prefix: string): void {
    const manifest = readManifest(`${prefix}.json`);
    const { fs, path } = fsPath();
    const bin = fs.readFileSync(path.join(path.dirname(`${prefix}.json`), manifest.weightsFile));
    // optimizer slots are created lazily; create the ones the checkpoint has before matching
    const varOfKey = new Map(this.modelEntries().map(([k, v]) => [k, v] as const));
    for (const [name, o] of Object.entries(this.objects)) {
      if (!(o instanceof Optimizer)) continue;
      const vars = new Set<Variable>();
      for (const e of manifest.entries) {
        const m = e.key.startsWith(`${name}/slots/`) ? e.key.slice(name.length + 7) : undefined;
        if (!m) continue;
        const varKey = m.slice(0, m.lastIndexOf("/"));
        const v = varOfKey.get(varKey);
        if (v) vars.add(v);
      }
      o.build([...vars]);
    }
    const want = this.entries();
    const have = new Map(manifest.entries.map((e) => [e.key, e]));
    const problems: string[] = [];
    for (const [key, v] of want) {
      const e = have.get(key);
      if (!e) problems.push(`  missing from the file: ${key} (${v.dtype}${shapeStr(v.shape)})`);
      else if (e.dtype !== v.dtype || !sameShape(e.shape, v.shape)) problems.push(`  ${key}: ${e.dtype}${shapeStr(e.shape)} in the file, ${v.dtype}${shapeStr(v.shape)} here`);
    }
    const wanted = new Set(want.map(([k]) => k));
    for (const e of manifest.entries) if (!wanted.has(e.key)) problems.push(`  in the file but not here: ${e.key} (${e.dtype}${shapeStr(e.shape)})`);
    if (problems.length) throw new CheckpointError(`checkpoint ${prefix}.json does not match the objects restored into:\n${problems.join("\n")}`);
    for (const [key, v] of want) {
      const e = have.get(key)!;
      if (e.offset + e.byteLength > bin.byteLength) throw new CheckpointError(`checkpoint ${prefix}: the weights file is truncated at ${key}`);
      const bytes = bin.buffer.slice(bin.byteOffset + e.offset, bin.byteOffset + e.offset + e.byteLength);
      const data = e.dtype === "f32" ? new Float32Array(bytes) : e.dtype === "f64" ? new Float64Array(bytes) : e.dtype === "i32" ? new Int32Array(bytes) : new Uint8Array(bytes);
      v.assign(tensor(data, e.shape, e.dtype));
    }
  }

  /** [key, variable] of the models, metrics and plain variables (what optimizer slots are keyed by). */
  private modelEntries(): [string, Variable][] {
    const out: [string, Variable][] = [];
    for (const [name, o] of Object.entries(this.objects)) {
      if (o instanceof Layer) out.push(...o.namedVariables().map(([p, v]): [string, Variable] => [`${name}/${p}`, v]));
      else if (o instanceof Metric) out.push(...o.namedVariables().map(([p, v]): [string, Variable] => [`${name}/${p}`, v]));
      else if (isVariable(o)) out.push([name, o]);
      else if (Array.isArray(o)) o.forEach((v: Variable, i: number) => out.push([`${name}/${i}`, v]));
      else if (!(o instanceof Optimizer)) for (const [k, v] of Object.entries(o as Record<string, Variable>)) out.push([`${name}/${k}`, v]);
    }
    return out;
  }

  /** Every [key, variable], in a stable order; a variable reachable twice is saved once. */
  entries(): [string, Variable][] {
    const base = this.modelEntries();
    const keyOf = new Map<Variable, string>();
    for (const [k, v] of base) if (!keyOf.has(v)) keyOf.set(v, k);
    const out = base.filter(([k, v]) => keyOf.get(v) === k);
    for (const [name, o] of Object.entries(this.objects)) {
      if (o instanceof Optimizer) out.push(...o.namedVariables((v) => keyOf.get(v) ?? `var:${v.name}`).map(([p, v]): [string, Variable] => [`${name}/${p}`, v]));
    }
    const layer = Object.values(this.objects).find((o): o is Layer => o instanceof Layer && !o.built);
    if (layer) throw new UsageError(`Checkpoint: layer '${layer.name}' is not built yet (call it once, or give its first layer an inputShape)`);
    return out;
  }
}

function isTrackable(o: unknown): o is Trackable {
  if (o instanceof Layer || o instanceof Optimizer || o instanceof Metric || isVariable(o)) return true;
  if (Array.isArray(o)) return o.every(isVariable);
  return typeof o === "object" && o !== null && Object.values(o).every(isVariable);
}

function readManifest(file: string): Manifest {
  const { fs } = fsPath();
  if (!fs.existsSync(file)) throw new CheckpointError(`checkpoint manifest ${file} not found`);
  let m: Manifest;
  try {
    m = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
  } catch (e) {
    throw new CheckpointError(`checkpoint manifest ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (m.format !== "graft-checkpoint" || m.version !== 1 || !Array.isArray(m.entries)) throw new CheckpointError(`${file} is not a graft checkpoint manifest (format ${JSON.stringify(m.format)}, version ${JSON.stringify(m.version)})`);
  return m;
}

/** Saves a model's (or layer's) variables: `saveWeights(model, "ckpt/mnist")`. */
export const saveWeights = (model: Layer, prefix: string): { manifest: string; weights: string } => new Checkpoint({ model }).save(prefix);
/** Loads them back into a model of the same architecture. */
export const loadWeights = (model: Layer, prefix: string): void => new Checkpoint({ model }).restore(prefix);
