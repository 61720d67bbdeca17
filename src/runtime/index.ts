/** @file The runtime: backends, executables, and the registry `fn` picks from. */
export * from "./backend.js";
export { interpBackend } from "./interp.js";
export { onCompile, reportCompile, compileWatched, passRecorder, type CompileRecord, type CompileListener } from "./registry.js";
export { writeDump, stemFor, encodeArray, decodeArray, DUMP_FORMAT, DUMP_VERSION, type DumpInfo, type EncodedArray } from "./dump.js";
export { tfjsBackend, initTfjs, ready, loadTfjs, registerTfjs, type TfjsBackendName } from "./tfjs.js";
export { onnxBackend, OnnxExecutable, loadOrt } from "./onnx.js";
export { jsBackend, JsExecutable, formatProfile, bestStage } from "./js.js";
export { wasmBackend, WasmExecutable } from "./wasm.js";
export { cacheSlot, cacheDir, CACHE_VERSION, type CacheCodec, type CacheOutcome, type CacheSlot } from "./cache.js";
