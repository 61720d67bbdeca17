/** @file `fusion`: a region node whose body graph is one kernel. The fused stage is made of these.
 *
 * Contract shared by the fusion pass (which makes them) and the codegens (which emit them):
 * - `body.inputs` match the node's inputs one for one (same types); `body.outputs` are the node's
 *   outputs; the body has no state and no assigns.
 * - `kind` says what loop nest the body is:
 *   - "elementwise": only elementwise ops (and splat consts); every output has the same shape,
 *     the loop domain; inputs broadcast to it (NumPy rules).
 *   - "reduce": elementwise ops on the domain shape feeding reductions that all reduce the same
 *     axes of the same domain shape, then optionally elementwise ops on the reduced shape.
 *   - "matmul": one matmul of two body inputs, then elementwise ops on its output shape
 *     (the epilogue: bias add, activation, scaling).
 * - `name` is a readable kernel name (e.g. "matmul_add_relu"); it is never used for decisions.
 * Its semantics are the body's: the interpreter runs the body.
 */
import { UsageError, VerifyError } from "../errors.js";
import { sameType, typeStr } from "../graph.js";
import { defineOp } from "./def.js";

export const FUSION_KINDS = ["elementwise", "reduce", "matmul"] as const;
export type FusionKind = (typeof FUSION_KINDS)[number];

export const regionOps = {
  fusion: defineOp<{ kind: string; name: string }>({
    kind: "region",
    arity: "variadic",
    attrs: { kind: "string", name: "string" },
    infer: (ins, a, body) => {
      if (!body) throw new VerifyError("fusion: a fusion node needs a body");
      if (!(FUSION_KINDS as readonly string[]).includes(a.kind)) throw new VerifyError(`fusion: unknown kind '${a.kind}' (${FUSION_KINDS.join(", ")})`);
      if (body.inputs.length !== ins.length || body.inputs.some((v, i) => !sameType(v.type, ins[i]!))) {
        throw new VerifyError(`fusion: body takes (${body.inputs.map((v) => typeStr(v.type)).join(", ")}) but the node passes (${ins.map(typeStr).join(", ")})`);
      }
      if (body.state.length || body.assigns.length) throw new VerifyError("fusion: a body has no state");
      return body.outputs.map((v) => v.type);
    },
    interpret: () => {
      throw new UsageError("fusion: the interpreter runs a region's body (see runNode)");
    },
    vjp: { none: "fused regions exist only after autodiff; differentiate the unfused graph" },
    js: { kernel: "region" },
    tfjs: () => {
      throw new UsageError("fusion: the tfjs codegen lowers a region's body op by op");
    },
  }),
} as const;
