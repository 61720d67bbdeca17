/** @file The DSL: tensors, ops (free functions and methods), variables, tracing with fn(). */
import "./methods.js";
export { Tensor, isTensor } from "./tensor.js";
export * from "./ops.js";
export * from "./composites.js";
export { tensor, toTensor, scalar, fill, zeros, ones, zerosLike, onesLike, iota, range, randomNormal, randomUniform, type TensorInit, type DTypeName, type RandomOptions } from "./create.js";
export { Variable, variable, type VariableOptions } from "./variable.js";
export { fn, type FnOptions, type CompiledFn, type TraceRecord } from "./fn.js";
export { currentTrace, isVariable } from "./trace.js";
export { apply, type TensorLike } from "./apply.js";
export { gradients } from "./autodiff.js";
export { grad, valueAndGrad, type GradOptions } from "./autodiff-api.js";
export { customGradient, type GradFunc, type CustomGradientFn } from "./autodiff-custom.js";
export { exportONNX, importONNX, type ImportedModel } from "./onnx.js";
export { checkGrads, type CheckGradsOptions, type CheckGradsResult } from "./checkgrads.js";
