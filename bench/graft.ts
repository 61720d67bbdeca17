/** @file graft's contenders for every workload (loaded by run.ts), plus the W5/W6 report sections.
 *
 * W1/W5 compile the reference MLP step of graft-mlp.ts; W2-W4 live in graft-kernels.ts; the W5
 * phase breakdown and the W6 memory table in graft-extra.ts. Each contender runs on every graft
 * target that exists (js, tfjs-cpu, tfjs-wasm); one whose backend is missing is reported skipped.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Contender, Instance } from "./harness.js";
import type { ExtraContenders, PeerWorkload, SizeMode } from "./workloads.js";
import type { MlpCase } from "./peers/mlp.js";
import type { Tensor } from "../src/index.js";
import { graftMlp } from "./graft-mlp.js";
import { elementwiseContender, matmulContender, signUpdateContender } from "./graft-kernels.js";
import { disposeInputs, input, prepare, releaseState, runHooks, TARGETS, type Target } from "./graft-targets.js";
import { graftSections } from "./graft-extra.js";

export const baseline = "graft js";

const ALL: Target[] = [TARGETS.js, TARGETS["tfjs-cpu"], TARGETS["tfjs-wasm"], TARGETS.wasm, TARGETS.onnx];
/** graft js with its matmuls kept on one thread (the default splits big ones over two where there are two cores); not at tiny sizes, where nothing splits. */
const JS_1T: Target = { ...TARGETS.js, name: "graft js 1-thread", opts: { ...TARGETS.js.opts, threads: 1 }, matmulThreads: 1 };
/** graft wasm pinned to one thread (`threads: 1`). */
const WASM_1T: Target = { ...TARGETS.wasm, name: "graft wasm 1-thread", opts: { ...TARGETS.wasm.opts, threads: 1 }, matmulThreads: 1 };

/** W1: one training step on persistent state; result() = two steps from the initial state. */
function mlpContender(t: Target, c: MlpCase): Contender {
  return {
    name: t.name,
    engine: t.engine,
    threads: t.matmulThreads,
    note: "one fn() around opt.minimize (optimizers.Adam, losses.sparseCategoricalCrossentropy from logits): forward, gradients and the update are one compiled step",
    async setup(): Promise<Instance> {
      await prepare(t);
      const m = graftMlp(c);
      const step = m.compile(t.opts);
      const { shape, batch } = c;
      const x = input(t, batch.x, [shape.batch, shape.sizes[0]!]);
      const y = input(t, batch.y, [shape.batch]);
      return {
        ...runHooks(t, () => void step(x, y).item()),
        result: () => m.summary(step as (x: unknown, y: unknown) => Tensor, x, y),
        dispose: () => {
          disposeInputs(t, [x, y]);
          releaseState(t, [...m.params, ...m.opt.variables]);
        },
      };
    },
  };
}

/** W5: compile time of the W1 step: a new fn() traced, lowered and compiled per run (no step runs). */
function compileContender(t: Target, c: MlpCase): Contender {
  return {
    name: t.name,
    engine: t.engine,
    note: "run() = fn(step, opts).trace(x, y): trace + grad + optimize + fuse + plan + backend codegen; the model and optimizer slots already exist",
    async setup(): Promise<Instance> {
      await prepare(t);
      const m = graftMlp(c);
      const { shape, batch } = c;
      const x = input(t, batch.x, [shape.batch, shape.sizes[0]!]);
      const y = input(t, batch.y, [shape.batch]);
      let last = m.compile(t.opts);
      last.trace(x, y);
      return {
        ...runHooks(t, () => {
          last = m.compile(t.opts);
          last.trace(x, y);
        }),
        // the step just compiled must train like W1's (checked against the first W5 contender)
        result: () => m.summary(last as (x: unknown, y: unknown) => Tensor, x, y),
        dispose: () => {
          disposeInputs(t, [x, y]);
          releaseState(t, [...m.params, ...m.opt.variables]);
        },
      };
    },
  };
}

/** W5 with the persistent compile cache warm (its own temp folder): trace + key + read + instantiate, nothing lowered. */
function cachedCompileContender(t: Target, c: MlpCase): Contender {
  const name = `${t.name} cached`;
  return {
    name,
    engine: t.engine,
    note: "as graft js, with fn's compile cache holding the entry (written by the first compile of setup, in a temp folder): a cache hit per run",
    async setup(): Promise<Instance> {
      const dir = mkdtempSync(path.join(os.tmpdir(), "graft-bench-cache-"));
      const inst = await compileContender({ ...t, name, opts: { ...t.opts, cache: dir } }, c).setup();
      return { ...inst, dispose: () => (inst.dispose?.(), rmSync(dir, { recursive: true, force: true })) };
    },
  };
}

export function contenders(mode: SizeMode): ExtraContenders {
  const oneThread = mode === "tiny" ? [] : [JS_1T, WASM_1T];
  return {
    W1: (w: PeerWorkload) => {
      if (w.inputs.kind !== "mlp") return [];
      const mlp = w.inputs.mlp;
      return [...forAll(mlpContender, mlp), ...oneThread.map((t) => mlpContender(t, mlp))];
    },
    W2: (w) => (w.inputs.kind === "sign-update" ? [...forAll(signUpdateContender, w.inputs.data), ...oneThread.filter((t) => t.id === "wasm").map((t) => signUpdateContender(t, w.inputs.kind === "sign-update" ? w.inputs.data : (undefined as never)))] : []),
    W3: (w) => (w.inputs.kind === "elementwise" ? [...forAll(elementwiseContender, w.inputs.elementwise), ...oneThread.filter((t) => t.id === "wasm").map((t) => elementwiseContender(t, w.inputs.kind === "elementwise" ? w.inputs.elementwise : (undefined as never)))] : []),
    W4: (w) => {
      if (w.inputs.kind !== "matmul") return [];
      const mm = w.inputs.matmul;
      // tfjs cpu at 1024 takes seconds per run: like the peer, only in the full run
      return [...ALL, ...oneThread].filter((t) => t.id !== "tfjs-cpu" || mode === "full" || mm.n < 1024).map((t) => matmulContender(t, mm));
    },
    W5: (w) => (w.inputs.kind === "mlp" ? [...forAll(compileContender, w.inputs.mlp), cachedCompileContender(TARGETS.js, w.inputs.mlp)] : []),
  };
}

const forAll = <C>(make: (t: Target, c: C) => Contender, c: C): Contender[] => ALL.map((t) => make(t, c));

/** Extra report sections (W5 phases, W6 memory), computed after the timed workloads. */
export const sections = graftSections;
