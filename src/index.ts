/** @file graft's public API. Nothing else is public. */
import "./runtime/index.js";
export * from "./dsl/index.js";
export * as ir from "./ir/index.js";
export { GraftError, ShapeError, DTypeError, ParseError, VerifyError, GradError, NaNError, UsageError } from "./ir/errors.js";
export { MissingDependencyError } from "./ir/platform.js";
export type { DType } from "./ir/dtype.js";
export type { StageName } from "./passes/pipeline.js";
export * from "./train/index.js";
export { initTfjs, ready, type TfjsBackendName } from "./runtime/tfjs.js";
export { toTfjs, fromTfjs, fromTfjsVariable } from "./dsl/tfjs.js";
export { formatProfile } from "./runtime/js.js";
export type { KernelProfile, ExecStats } from "./runtime/backend.js";
