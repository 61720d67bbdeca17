/** @file The op registry: every primitive, by IR name. A def missing a rule does not compile. */
import type { OpDef } from "./def.js";
import type { AttrsOf, OpName } from "./names.js";
import { binaryOps, selectOps, unaryOps } from "./elementwise.js";
import { reduceOps } from "./reduce.js";
import { movementOps } from "./movement.js";
import { contractOps } from "./contract.js";
import { indexOps } from "./index-ops.js";
import { sourceOps } from "./source.js";
import { barrierOps } from "./barrier.js";
import { regionOps } from "./region.js";
import { autodiffOps } from "./autodiff.js";

const REGISTRY: { readonly [K in OpName]: OpDef<AttrsOf<K>> } = {
  ...unaryOps,
  ...binaryOps,
  ...selectOps,
  ...reduceOps,
  ...movementOps,
  ...contractOps,
  ...indexOps,
  ...sourceOps,
  ...barrierOps,
  ...regionOps,
  ...autodiffOps,
};

export const OPS = REGISTRY;

export const OP_NAMES = Object.keys(REGISTRY) as OpName[];
export const isOpName = (s: string): s is OpName => Object.prototype.hasOwnProperty.call(REGISTRY, s);

/** The def for a name, with attrs typed as a plain record (for code generic over ops). */
export const opDef = (name: OpName): OpDef<Record<string, never>> => OPS[name] as unknown as OpDef<Record<string, never>>;

export type { OpDef, OpKind, GradCtx, VjpRule, JsLowering, TfjsLowering, LowerCtx, TfjsLowerCtx, AttrType, JsKernel, OnnxAttr, OnnxDType, OnnxEmitter, OnnxRule, OnnxLowering, NoOnnx } from "./def.js";
export type { OpName, AttrsOf, OpAttrs, ReduceAttrs, MatmulAttrs, ConstAttrs, RandomAttrs } from "./names.js";
