/** @file The lowering pipeline from the traced stage to the stages backends consume. */
import { verify, type Graph } from "../ir/index.js";
import { expandGradients } from "./grad.js";

export type StageName = "traced" | "grad" | "optimized" | "fused";
export const STAGES: readonly StageName[] = ["traced", "grad", "optimized", "fused"];

/** Every stage a compiled step went through; later issues fill in grad, optimized and fused. */
export interface Stages {
  readonly traced: Graph;
  readonly grad?: Graph;
  readonly optimized?: Graph;
  readonly fused?: Graph;
}

export interface PipelineOptions {
  /** Run the verifier after every pass (on in tests and with GRAFT_VERIFY=1). */
  readonly verify?: boolean;
}

/** Lowers a traced graph through every stage that exists so far. */
export function lowerStages(traced: Graph, _opts: PipelineOptions = {}): Stages {
  const grad = expandGradients(traced);
  if (_opts.verify && grad !== traced) verify(grad);
  return { traced, grad };
}
