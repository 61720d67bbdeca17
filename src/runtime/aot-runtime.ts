/** @file The tiny runtime compiled steps call: kernel helpers only. AOT modules import this and nothing else of graft. */
export { matmul, type Arr } from "./kernels/matmul.js";
export { gather, scatterAdd, argmax, iota, randomUniform, randomNormal, fromBase64, KernelError } from "./kernels/misc.js";

/** Milliseconds, for per-kernel profiles. */
export const now = (): number => performance.now();
