/** @file The wasm codegen: one Wasm module per step (SIMD loops and matmul microkernels) over one linear memory. */
export { generateWasm, HOST_NAMES, type WasmProgram, type WasmKernelInfo } from "./program.js";
export { HOST_MATH } from "./ops.js";
