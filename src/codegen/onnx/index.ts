/** @file ONNX codegen: lower a graph to a ModelProto (export and the onnx backend) and read one back (import). */
export { lowerGraph, OPSET, IR_VERSION, type LoweredOnnx, type HostInput, type LowerOptions } from "./lower.js";
export { encodeModel, decodeModel, type ModelMsg } from "./proto.js";
export { importModel, type ImportOptions, type ImportedGraph } from "./import.js";
export { describeModel } from "./describe.js";
