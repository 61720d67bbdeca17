/** @file The IR's public face: `ir.print`, `ir.parse`, `ir.verify`, `ir.interpret`, JSON. */
export { printGraph as print, printNode, Namer, safeName, numStr, type PrintOptions } from "./print.js";
export { parseGraph as parse } from "./parse.js";
export { verify } from "./verify.js";
export { interpret, runNode, registerRegionRunner, type InterpretOptions, type InterpretResult } from "./interpret.js";
export { graphToJSON as toJSON, graphFromJSON as fromJSON } from "./json.js";
export { Builder, Graph, Value, rebuild, typeStr, sameType, type Node, type TensorType, type Attrs, type AttrValue, type StateParam, type Assign, type Operand } from "./graph.js";
export { OPS, OP_NAMES, opDef, isOpName, type OpName, type AttrsOf, type OpDef, type OpKind, type TfjsLowerCtx, type OnnxAttr, type OnnxDType, type OnnxEmitter, type OnnxLowering, type LowerCtx } from "./ops/index.js";
export { constAttrs, constAttrsOf } from "./ops/source.js";
export { nd, toNested, flattenNested, type NDArray } from "./ndarray.js";
export { mulberry32 } from "./random.js";
export * from "./dtype.js";
export * from "./shape.js";
export * from "./errors.js";
