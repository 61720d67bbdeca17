/** @file The DSL entry points a tool reaches through a compile record (runtime/registry.ts), so it uses
 * the same copy of graft as the script that compiled the function: a script loaded as CommonJS and
 * the `graft` CLI loaded as ESM hold two copies, and tensors of one are not tensors to the other. */
import type { NDArray } from "../ir/index.js";
import { checkGrads, type CheckGradsOptions, type CheckGradsResult } from "./checkgrads.js";
import { Tensor } from "./tensor.js";
import { isVariable } from "./trace.js";
import type { Variable } from "./variable.js";

export interface DslKit {
  /** A concrete tensor of this copy of graft. */
  tensor(a: NDArray): Tensor;
  checkGrads(f: (...args: never[]) => unknown, args: readonly unknown[], opts?: CheckGradsOptions): CheckGradsResult;
  isVariable(x: unknown): x is Variable;
}

export const dslKit: DslKit = {
  tensor: (a) => new Tensor({ nd: a }),
  checkGrads: (f, args, opts) => checkGrads(f, args, opts),
  isVariable: (x): x is Variable => isVariable(x),
};
