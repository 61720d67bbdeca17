/** @file Writes AOT modules to disk: the compiled step plus a copy of the tiny runtime it imports. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Graph, type NDArray } from "../ir/index.js";
import type { StageName, Stages } from "../passes/pipeline.js";
import { emitAotModule, transpileRuntime } from "../codegen/js/aot.js";
import { bestStage } from "./js.js";

/** The runtime's files, relative to src/runtime (aot-runtime.ts imports the kernels). */
const RUNTIME_FILES = ["aot-runtime.ts", "kernels/matmul.ts", "kernels/misc.ts"];
const RUNTIME_DIR = "graft-runtime";

export interface AotOptions {
  /** "ts" or "js"; default from the file's extension (.ts/.mts: ts, else js). */
  readonly format?: "ts" | "js";
  /** Import this runtime specifier instead of writing a copy beside the module. */
  readonly runtimeImport?: string;
  /** State values to embed (exported as `initialState()`), in graph.state order or by state name. */
  readonly initialState?: readonly NDArray[] | Readonly<Record<string, NDArray>>;
}

/** What `fn()` returns, as far as AOT needs it: the stages of its most recent signature. */
export interface CompiledLike {
  graph(stage?: StageName): Graph;
}

function stagesOf(f: CompiledLike): Stages {
  const get = (s: StageName): Graph | undefined => {
    try {
      return f.graph(s);
    } catch {
      return undefined; // a stage this pipeline does not make
    }
  };
  return { traced: f.graph("traced"), grad: get("grad"), optimized: get("optimized"), fused: get("fused") };
}

/**
 * Writes `outFile` (and, unless `runtimeImport` is given, `graft-runtime/` beside it) for the
 * most lowered stage of `source`: a graph, a Stages record, or a compiled fn (after a call or
 * `.trace(...)`: its latest signature).
 * Returns the paths written.
 */
export function writeAotModule(outFile: string, source: Graph | Stages | CompiledLike, opts: AotOptions = {}): string[] {
  const { graph, stage } = source instanceof Graph ? { graph: source, stage: undefined } : bestStage("traced" in source ? source : stagesOf(source));
  const format = opts.format ?? (/\.m?ts$/.test(outFile) ? "ts" : "js");
  const ext = format === "ts" ? ".ts" : ".js";
  const dir = dirname(outFile);
  const written: string[] = [];
  const runtimeImport = opts.runtimeImport ?? `./${RUNTIME_DIR}/aot-runtime.js`;
  if (!opts.runtimeImport) {
    const here = dirname(fileURLToPath(import.meta.url));
    // run from src/runtime the sources sit here; run from the package's dist/runtime, they are in its src/runtime
    const base = existsSync(join(here, RUNTIME_FILES[0]!)) ? here : join(here, "..", "..", "src", "runtime");
    for (const rel of RUNTIME_FILES) {
      const src = readFileSync(join(base, rel), "utf8");
      const path = join(dir, RUNTIME_DIR, rel.replace(/\.ts$/, ext));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, format === "ts" ? src : transpileRuntime(src));
      written.push(path);
    }
    // the runtime's .js files are ES modules wherever the module is written
    if (format === "js") {
      const pkg = join(dir, RUNTIME_DIR, "package.json");
      writeFileSync(pkg, JSON.stringify({ type: "module" }) + "\n");
      written.push(pkg);
    }
  }
  mkdirSync(dir || ".", { recursive: true });
  writeFileSync(outFile, emitAotModule(graph, { format, runtimeImport, initialState: opts.initialState, stage }));
  written.push(outFile);
  return written;
}
