/** @file The fixed workloads W1-W4 with their peer contenders, and the hook to add more (graft). */
import type { Contender, Workload } from "./harness.js";
import {
  MLP_FULL,
  MLP_TINY,
  mlpStepFlops,
  type SignUpdateData,
  signUpdateData,
  uniform,
} from "./data.js";
import { type ElementwiseCase, elementwisePeers } from "./peers/elementwise.js";
import { type MatmulCase, matmulCase, matmulPeers, matmulTransposeTrapPeers } from "./peers/matmul.js";
import { type MlpCase, mlpCase, mlpPeers } from "./peers/mlp.js";
import { SIGN_UPDATE_BYTES_PER_ELEMENT, signUpdatePeers } from "./peers/sign-update.js";

/** full: the real shapes; quick: same shapes, fewer rounds, slowest peer skipped; tiny: smoke test. */
export type SizeMode = "full" | "quick" | "tiny";

/** The inputs of a workload, so extra contenders can build the same computation on the same data. */
export type WorkloadInputs =
  | { kind: "mlp"; mlp: MlpCase }
  | { kind: "sign-update"; n: number; data: SignUpdateData }
  | { kind: "elementwise"; elementwise: ElementwiseCase }
  | { kind: "matmul"; matmul: MatmulCase }
  | { kind: "matmul-transposed"; matmul: MatmulCase };

export interface PeerWorkload extends Workload {
  /** "W1" | "W2" | "W3" | "W4" | "W4-trap" | "W5": what `--only` and extra-contender keys match */
  family: string;
  inputs: WorkloadInputs;
}

/** Contenders to append, keyed by workload id ("W4-512") or family ("W4": every W4 size). */
export type ExtraContenders = Record<string, Contender[] | ((w: PeerWorkload) => Contender[])>;

export interface PeerOptions {
  mode?: SizeMode;
  /** workload ids or families to keep, e.g. ["W1", "W3"] */
  only?: string[];
}

export interface BuildOptions extends PeerOptions {
  /** contender to compare against wherever a workload has it (e.g. "graft js") */
  baseline?: string;
}

export function matchesKey(w: PeerWorkload, key: string): boolean {
  return w.id === key || w.family === key;
}

/** The workloads with their peers only (first contender = the cross-check reference). */
export function peerWorkloads(opts: PeerOptions = {}): PeerWorkload[] {
  const mode = opts.mode ?? "full";
  const tiny = mode === "tiny";
  const out: PeerWorkload[] = [];

  const shape = tiny ? MLP_TINY : MLP_FULL;
  const mlp = mlpCase(shape);
  out.push({
    id: "W1",
    family: "W1",
    title: `MLP training step ${shape.sizes.join("→")}, relu, batch ${shape.batch}, softmax xent, Adam`,
    flops: mlpStepFlops(shape),
    contenders: mlpPeers(mlp),
    baseline: "plain JS blocked",
    tolerance: 1e-4,
    inputs: { kind: "mlp", mlp },
    note:
      "Checked: from the initial weights, two steps; losses of both, f64 sums of every parameter and 3 samples " +
      "of each (see data.ts mlpSummary). Timed: one step on a persistent state.",
  });

  const n2 = tiny ? 1000 : 1_000_000;
  const d2 = signUpdateData(n2);
  out.push({
    id: "W2",
    family: "W2",
    title: `sign-agreement optimizer update, ${n2.toLocaleString("en-US")} params`,
    bytes: SIGN_UPDATE_BYTES_PER_ELEMENT * n2,
    contenders: signUpdatePeers(d2),
    baseline: "plain JS",
    tolerance: 1e-5,
    inputs: { kind: "sign-update", n: n2, data: d2 },
    note:
      "Timed runs alternate two random gradients, so about half the elements take each branch. Checked: one " +
      "update from the initial state (sums of var and pv, samples of var). Bytes: the minimum, 4 f32 reads + 1 " +
      "write per element (see SIGN_UPDATE_BYTES_PER_ELEMENT).",
  });

  const [rows, cols] = tiny ? [16, 64] : [1024, 1024];
  const ew: ElementwiseCase = { rows, cols, x: uniform(rows * cols, -2, 2, 31) };
  out.push({
    id: "W3",
    family: "W3",
    title: `tanh(x*0.5+0.1)*x + relu(x-0.2)*0.3, mean over last axis, [${rows},${cols}] f32`,
    bytes: 4 * rows * cols + 4 * rows,
    contenders: elementwisePeers(ew),
    baseline: "plain JS",
    tolerance: 1e-5,
    inputs: { kind: "elementwise", elementwise: ew },
    note: "Checked: every output. Bytes: the input read once plus the output.",
  });

  for (const n of tiny ? [8, 13] : [128, 256, 512, 1024]) {
    const mm = matmulCase(n);
    const skipTfCpu =
      mode === "quick" && n >= 1024 ? "omitted in --quick mode (about 5 s per run); see the full run" : undefined;
    out.push({
      id: `W4-${n}`,
      family: "W4",
      title: `square matmul ${n}x${n} @ ${n}x${n} f32`,
      flops: 2 * n ** 3,
      contenders: matmulPeers(mm, { skipTfCpu }),
      baseline: "plain JS blocked",
      tolerance: 1e-4,
      inputs: { kind: "matmul", matmul: mm },
    });
  }

  const nt = tiny ? 16 : 512;
  const trap = matmulCase(nt);
  out.push({
    id: `W4-trap-${nt}`,
    family: "W4-trap",
    title: `tfjs wasm trap: matMul with transposeA/transposeB vs explicit transpose + matMul, ${nt}x${nt}`,
    flops: 2 * nt ** 3,
    contenders: matmulTransposeTrapPeers(trap),
    baseline: "tfjs wasm transpose+matMul",
    tolerance: 1e-4,
    inputs: { kind: "matmul-transposed", matmul: trap },
    note:
      "All compute a @ bt^T (transposed input copies made in setup). The W1 tfjs peer does not avoid this: it uses whatever tf.grads produces " +
      "(matMul's gradient uses the transposed forms).",
  });

  // W5 has no peers (TensorFlow.js compiles nothing; jax-js compiles inside its first call): graft's
  // contenders fill it, and buildWorkloads drops it when none do.
  out.push({
    id: "W5",
    family: "W5",
    title: `compile time of the W1 step (trace + optimize + codegen), ${shape.sizes.join("→")}, batch ${shape.batch}`,
    contenders: [],
    baseline: "graft js",
    tolerance: 1e-4,
    inputs: { kind: "mlp", mlp },
    note:
      "Timed: compiling the W1 step from its step function (a new fn() traced for the batch; no step runs). Checked: " +
      "the freshly compiled step trains like W1 (two steps from the initial state, mlpSummary).",
  });

  const only = opts.only;
  return only && only.length > 0 ? out.filter((w) => only.some((k) => matchesKey(w, k))) : out;
}

/**
 * Peer workloads plus extra contenders appended per workload (after the peers, so the first peer
 * stays the cross-check reference). With `baseline`, ratios are against that contender in every
 * workload that has one; the others keep their peer baseline.
 */
export function buildWorkloads(extra: ExtraContenders = {}, opts: BuildOptions = {}): PeerWorkload[] {
  const workloads = peerWorkloads(opts);
  for (const w of workloads) {
    for (const [key, add] of Object.entries(extra)) {
      if (!matchesKey(w, key)) continue;
      w.contenders = [...w.contenders, ...(typeof add === "function" ? add(w) : add)];
    }
    const names = new Set<string>();
    for (const c of w.contenders) {
      if (names.has(c.name)) throw new Error(`workload ${w.id}: two contenders named "${c.name}"`);
      names.add(c.name);
    }
    if (opts.baseline && names.has(opts.baseline)) w.baseline = opts.baseline;
  }
  return workloads.filter((w) => w.contenders.length > 0);
}
