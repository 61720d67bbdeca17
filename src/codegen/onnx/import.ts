/** @file importONNX: an ONNX ModelProto back into graft IR (filled in below). */
import type { Graph } from "../../ir/index.js";
export interface ImportOptions { readonly name?: string }
export function importModel(_bytes: Uint8Array, _opts: ImportOptions = {}): Graph {
  throw new Error("todo");
}
