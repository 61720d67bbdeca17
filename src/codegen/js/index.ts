/** @file The js codegen: graphs (any stage) to plain-JS kernels over preallocated buffers. */
export { generateJs, RUNTIME_HELPERS, type JsProgram, type JsProgramOptions, type KernelInfo } from "./program.js";
export { planMemory, type MemoryPlan, type Home } from "./memory.js";
