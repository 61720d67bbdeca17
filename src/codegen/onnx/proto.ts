/** @file ModelProto <-> bytes with protobufjs (an optional peer dependency, loaded on first use). */
import { GraftError, UsageError } from "../../ir/index.js";
import { isMissing, MissingDependencyError, nodeBuiltin } from "../../ir/platform.js";
import { ONNX_SCHEMA } from "./schema.js";

/** The plain-object form of the messages in schema.ts (camelCase fields). */
export interface TensorMsg { name?: string; dims?: number[]; dataType?: number; rawData?: Uint8Array; floatData?: number[]; int32Data?: number[]; int64Data?: number[]; doubleData?: number[]; docString?: string }
export interface AttrMsg { name: string; type: number; f?: number; i?: number; s?: Uint8Array; t?: TensorMsg; floats?: number[]; ints?: number[] }
export interface NodeMsg { input: string[]; output: string[]; name?: string; opType: string; domain?: string; attribute?: AttrMsg[]; docString?: string }
export interface ValueInfoMsg { name: string; type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } }; docString?: string }
export interface GraphMsg { node: NodeMsg[]; name?: string; initializer?: TensorMsg[]; docString?: string; input: ValueInfoMsg[]; output: ValueInfoMsg[]; valueInfo?: ValueInfoMsg[] }
export interface ModelMsg {
  irVersion: number;
  opsetImport: { domain?: string; version: number }[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  graph: GraphMsg;
  metadataProps?: { key: string; value: string }[];
}

interface ProtoType {
  encode(m: unknown): { finish(): Uint8Array };
  decode(b: Uint8Array): unknown;
  fromObject(o: unknown): unknown;
  toObject(m: unknown, opts: object): unknown;
  verify(o: unknown): string | null;
}
let modelType: ProtoType | undefined;

function load(): ProtoType {
  if (modelType) return modelType;
  let pb: { Root: { fromJSON(j: unknown): { lookupType(n: string): ProtoType } } };
  const req = nodeBuiltin("node:module")?.createRequire(import.meta.url);
  if (!req) throw new UsageError("ONNX export and import need protobufjs, loaded with Node's require (this environment has none)");
  try {
    pb = req("protobufjs/light.js");
  } catch (e) {
    if (isMissing(e, "protobufjs")) throw new MissingDependencyError("protobufjs", "ONNX export and import", e);
    throw new UsageError(`ONNX export and import could not load protobufjs: ${String(e).split("\n")[0]}`);
  }
  return (modelType = pb.Root.fromJSON(ONNX_SCHEMA).lookupType("onnx.ModelProto"));
}

export function encodeModel(m: ModelMsg): Uint8Array {
  const t = load();
  const bad = t.verify(m);
  if (bad) throw new GraftError(`onnx export: internal error, the model does not match onnx.proto: ${bad}`, "internal");
  return t.encode(t.fromObject(m)).finish();
}

export function decodeModel(bytes: Uint8Array): ModelMsg {
  const t = load();
  let msg: unknown;
  try {
    msg = t.decode(bytes);
  } catch (e) {
    throw new GraftError(`importONNX: not an ONNX model (${e instanceof Error ? e.message : String(e)})`, "parse");
  }
  return t.toObject(msg, { longs: Number, arrays: true, defaults: false }) as ModelMsg;
}
