/** @file `graft/testing`: the gradient checker and the vitest matcher (`expect.extend(graftMatchers)`, or import "graft/testing/setup"). */
export { graftMatchers } from "./matchers.js";
export { checkGrads, type CheckGradsOptions } from "../dsl/checkgrads.js";
