/** @file The runtime: backends, executables, and the registry `fn` picks from. */
export * from "./backend.js";
export { interpBackend } from "./interp.js";
