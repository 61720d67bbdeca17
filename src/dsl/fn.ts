/** @file fn(): trace a step per input signature, lower it, compile it for a backend, run it with state kept. */
import { print, UsageError, type Graph, type NDArray, type PrintOptions } from "../ir/index.js";
import { envVar, needNode } from "../ir/platform.js";
import { loweringOf, lowerStages, STAGES, type StageName, type Stages } from "../passes/pipeline.js";
import { reportHtml, reportSvg } from "../runtime/report.js";
import { cacheSlot, compileWatched, defaultBackend, getBackend, passRecorder, reportCompile, type CacheOutcome, type ExecStats, type Executable } from "../runtime/index.js";
import { Tensor } from "./tensor.js";
import { currentTrace, isVariable, Trace, withTrace } from "./trace.js";
import type { Variable } from "./variable.js";
import { defKey, flatten, unflatten, type TreeDef } from "./pytree.js";
import { asInputArray, isTensorInput } from "./inputs.js";
import { dslKit } from "./kit.js";
import { userLoc } from "./loc.js";
import { located } from "./ops.js";

export interface FnOptions {
  /** "js" (default once available), "tfjs", or "interp" (the reference interpreter). */
  readonly backend?: string;
  /** Name used in IR dumps; defaults to the step function's name. */
  readonly name?: string;
  /** How many signatures to keep compiled (least recently used ones are dropped). Default 8. */
  readonly maxSignatures?: number;
  /** Throw a NaNError naming the op when a step produces NaN or Inf. */
  readonly checkNumerics?: boolean;
  /** "tfjs" (tfjs backend only): return tf.Tensors, which the caller disposes, instead of graft tensors. */
  readonly outputs?: "graft" | "tfjs";
  /**
   * The persistent compile cache (runtime/cache.ts): false turns it off for this fn, a string is
   * the folder to use. Default: on (GRAFT_CACHE_DIR, else ~/.cache/graft; GRAFT_CACHE=0 turns it
   * off; off under vitest and CI unless GRAFT_CACHE_DIR is set). Only the js backend is cached.
   */
  readonly cache?: boolean | string;
  /** Extra options for the backend (e.g. tfjsBackend). */
  readonly [key: string]: unknown;
}

/** Why a trace happened: the first call, or what changed in the signature. */
export interface TraceRecord {
  readonly signature: string;
  readonly reason: string;
  /** What the persistent compile cache did: "hit" (nothing lowered or generated), "stored", "rebuilt: why the entry was not used", "off". */
  readonly cache: CacheOutcome;
}

interface Compiled {
  readonly key: string;
  readonly stages: Stages;
  readonly exec: Executable;
  readonly variables: readonly Variable[];
  readonly outDef: TreeDef;
  readonly compileMs: Readonly<Record<string, number>>;
  /** Output leaves that are not graph outputs (static values) are kept in the tree. */
}

export interface CompiledFn<A extends unknown[], R> {
  (...args: A): R;
  /** Traces and compiles for these arguments without running. */
  trace(...args: A): void;
  /** The IR text of a stage of the most recently used signature. */
  ir(stage?: StageName, opts?: PrintOptions): string;
  graph(stage?: StageName): Graph;
  /** Generated code of the most recently used signature. */
  source(): string;
  stats(): ExecStats;
  /**
   * One self-contained HTML page about the most recently used signature: IR per stage with diffs,
   * the graph linked to source lines, fusion decisions, memory timeline, compile and kernel times.
   * `{ file }` also writes it there (Node). The graph picture needs @hpcc-js/wasm-graphviz.
   */
  report(opts?: { readonly file?: string }): Promise<string>;
  /** Every trace so far, with the reason. */
  readonly traces: readonly TraceRecord[];
  readonly fnName: string;
  readonly backend: string;
}

/** What tracing one signature gives: the traced graph, the variables its state params stand for, the output tree. */
export interface TracedStep {
  readonly graph: Graph;
  readonly variables: readonly Variable[];
  readonly outDef: TreeDef;
}

/** Traces `step` once for inputs typed like `arrays` (structure `def`): the "traced" stage, nothing lowered. */
export function traceStep<A extends unknown[]>(name: string, step: (...args: A) => unknown, arrays: readonly NDArray[], def: TreeDef): TracedStep {
  const trace = new Trace(name);
  const symbolic = arrays.map((a) => trace.wrap(trace.builder.input({ dtype: a.dtype, shape: a.shape })));
  const args = unflatten(def, symbolic) as A;
  const result = withTrace(trace, () => step(...args));
  const { leaves, def: outDef } = flatten(result);
  const b = trace.builder;
  b.loc = undefined;
  b.output(...leaves.map((t) => trace.lift(t as Tensor)));
  for (const [v, value] of trace.assigned) b.assign(trace.stateParam(v), value);
  return { graph: b.finish(), variables: [...trace.stateOf.keys()], outDef };
}

export function fn<A extends unknown[], R>(step: (...args: A) => R, opts: FnOptions = {}): CompiledFn<A, R> {
  if (typeof step !== "function") throw new UsageError(`fn: expected a step function, got ${step === null ? "null" : typeof step}`, userLoc());
  if (typeof opts !== "object" || opts === null) throw new UsageError(`fn: options must be an object, got ${opts === null ? "null" : typeof opts}`, userLoc());
  const backend = opts.backend ?? defaultBackend();
  located(() => getBackend(backend)); // unknown names fail now, not at the first call
  const nativeOutputs = opts.outputs === "tfjs";
  if (nativeOutputs && backend !== "tfjs") throw new UsageError(`outputs: "tfjs" needs backend "tfjs" (this fn uses "${backend}")`);
  const name = opts.name ?? (step.name || "step");
  const maxSignatures = opts.maxSignatures ?? 8;
  const cache = new Map<string, Compiled>();
  const traces: TraceRecord[] = [];
  let last: Compiled | undefined;

  const signatureOf = (args: unknown[]): { key: string; leaves: NDArray[]; def: TreeDef } => {
    // variables passed as arguments stay variables (captured state, static by identity), as in tf.function
    const { leaves, def } = flatten(args, (x) => isTensorInput(x) && !isVariable(x));
    const arrays = leaves.map(asInputArray);
    const key = `${defKey(def)}|${arrays.map((a) => `${a.dtype}[${a.shape.join(",")}]`).join(",")}`;
    return { key, leaves: arrays, def };
  };

  /** Says what differs from the most recently used signature (keys are `structure|leaf types`). */
  const retraceReason = (key: string): string => {
    if (!last) return "first call";
    if (traces.some((t) => t.signature === key)) return `signature ${key} was dropped from the cache (maxSignatures=${maxSignatures}) and is traced again`;
    // leaf types are comma-separated, and so are the dims inside their brackets
    const split = (k: string) => [k.slice(0, k.lastIndexOf("|")), k.slice(k.lastIndexOf("|") + 1).split(/,(?![^[]*\])/)] as const;
    const [oldDef, oldTypes] = split(last.key);
    const [newDef, newTypes] = split(key);
    const what: string[] = [];
    if (oldDef !== newDef) what.push(`static arguments or structure ${oldDef} -> ${newDef}`);
    else newTypes.forEach((t, i) => t !== oldTypes[i] && what.push(`tensor argument ${i}: ${oldTypes[i]} -> ${t}`));
    return `${what.join("; ") || "new signature"} (new signature ${key})`;
  };

  const compile = (key: string, arrays: NDArray[], def: TreeDef): Compiled => {
    const t0 = performance.now();
    const { graph: traced, variables, outDef } = traceStep(name, step, arrays, def);
    const passLog = passRecorder(); // GRAFT_DUMP_PASSES=1: the graph after every pass, for the dump
    const be = getBackend(backend);
    const backendOpts = { ...opts, checkNumerics: !!opts.checkNumerics };
    // dumps and the CLI want every pass's log and notes: they compile afresh
    const slot = be.cacheCodec && !compileWatched() ? cacheSlot(traced, backend, backendOpts, opts.cache) : undefined;
    const codec = slot && be.cacheCodec!(backendOpts);
    const found = slot && codec ? slot.lookup(codec) : undefined;
    let stages: Stages;
    let exec: Executable;
    let cacheNote: CacheOutcome = "off";
    const t1 = performance.now();
    let codegenMs = 0;
    if (found && "exec" in found) {
      ({ stages, exec } = found);
      cacheNote = "hit";
    } else {
      stages = lowerStages(traced, { verify: envVar("GRAFT_VERIFY") === "1", dump: passLog.dump });
      const tl = performance.now();
      exec = be.compile(stages, backendOpts);
      codegenMs = performance.now() - tl;
      if (slot && codec) {
        const stored = slot.store(codec, stages, exec);
        cacheNote = found && found.miss !== "no entry" && stored === "stored" ? `rebuilt: ${found.miss}` : stored;
      }
    }
    const t2 = performance.now();
    const compileMs = { traced: t1 - t0, ...(cacheNote === "hit" ? { cacheHit: t2 - t1 } : { ...(loweringOf(stages.fused ?? stages.traced)?.ms ?? { lowering: t2 - t1 - codegenMs }), codegen: codegenMs }) };
    traces.push({ signature: key, reason: retraceReason(key), cache: cacheNote });
    // GRAFT_DUMP and the `graft` CLI learn what was compiled, for which inputs, and why (runtime/registry.ts)
    reportCompile({
      owner: traces, fnName: name, backend, sigIndex: traces.length - 1, signature: key, reason: traces.at(-1)!.reason,
      stages, exec, inputs: arrays, state: variables, step, makeArgs: (leaves) => unflatten(def, leaves) as unknown[], passes: passLog.passes, kit: dslKit, compileMs,
    });
    return { key, stages, exec, variables, outDef, compileMs };
  };

  const lookup = (args: unknown[]): { c: Compiled; inputs: NDArray[] } => {
    const { key, leaves, def } = signatureOf(args);
    let c = cache.get(key);
    if (c) cache.delete(key); // re-insert: the Map's order is the LRU order
    else c = compile(key, leaves, def);
    cache.set(key, c);
    while (cache.size > maxSignatures) cache.delete(cache.keys().next().value!);
    last = c;
    return { c, inputs: leaves };
  };

  const call = (...args: A): R => {
    // called while another step is being traced: inline it into that trace, as tf.function does
    if (currentTrace()) return step(...args);
    const { c, inputs } = lookup(args);
    const outputs = c.exec.run(inputs, c.variables);
    // outputs: "tfjs" returns the tfjs backend's own tensors (`native`, see runtime/tfjs.ts), uncopied
    return unflatten(c.outDef, outputs.map((a) => (nativeOutputs ? (a as { native?: unknown }).native : undefined) ?? new Tensor({ nd: a }))) as R;
  };

  const current = (): Compiled => {
    if (!last) throw new UsageError(`${name}: not traced yet; call it (or .trace(...args)) first`);
    return last;
  };
  const stageGraph = (stage: StageName = "traced"): Graph => {
    if (!STAGES.includes(stage)) throw new UsageError(`unknown stage '${stage}' (stages: ${STAGES.join(", ")})`);
    const g = current().stages[stage];
    if (!g) throw new UsageError(`${name}: stage '${stage}' is not produced by this pipeline yet`);
    return g;
  };

  return Object.assign(call, {
    trace: (...args: A) => void lookup(args),
    ir: (stage?: StageName, o?: PrintOptions) => print(stageGraph(stage), o),
    graph: stageGraph,
    source: () => current().exec.source(),
    stats: () => current().exec.stats(),
    report: async (o: { readonly file?: string } = {}) => {
      const c = current();
      const t = traces.find((r) => r.signature === c.key);
      const html = reportHtml({ fnName: name, backend, signature: c.key, reason: t?.reason ?? "", stages: c.stages, exec: c.exec, compileMs: c.compileMs, ...(await reportSvg(c.stages)) });
      if (o.file) needNode("node:fs", "report({ file })").writeFileSync(o.file, html);
      return html;
    },
    traces,
    fnName: name,
    backend,
  });
}

