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
 *
 * Refinements (the fusion pass, src/passes/fuse.ts, guarantees these; codegens may rely on them):
 * - Every elementwise op, combiner reduction (sum, mean, max, min, prod) and matmul of the
 *   optimized graph is inside exactly one fusion node; a lone op is a kernel of one.
 * - Views. Besides elementwise ops and splat consts, "elementwise" and "reduce" bodies may
 *   contain `broadcast_to`, and `reshape` that only inserts or removes size-1 axes, applied to a
 *   body input or to another such view, never to a computed value: the loop reads that input
 *   through the view's index map (strides, 0 on broadcast axes). In "matmul" bodies a view may
 *   feed the epilogue, never the matmul's operands (those are always body inputs).
 * - Intermediates may be smaller than their loop (e.g. f32[128,1] inside a [128,10] loop): they
 *   broadcast (NumPy rules) and are recomputed per element; the pass bounds that cost. Outputs
 *   never are: every output has exactly the shape of the loop that computes it.
 * - "reduce": all reductions have the same input shape, axes and keepDims, so one reduced shape.
 *   Ops are either before the reductions ("prologue", on the domain shape, not reading any
 *   reduction) or after (on the reduced shape). Prologue values may also be outputs, of the
 *   domain shape: the loop visits each domain element once and writes them as it goes.
 * - "matmul": the matmul is the body's first node; the epilogue may read other body inputs (broadcast to the output shape) and have
 *   several outputs (an optimizer update writes m, v and the parameter from the dW tile); the
 *   matmul's own result is an output only when something outside uses it.
 * - Several outputs of any kind are listed in body order; a value is output once.
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
    // ORT fuses on its own (and graft's kernels are loop nests, not ONNX nodes)
    onnx: { none: "fused regions exist only in the fused stage; ONNX export and the onnx backend lower the optimized stage" },
  }),
} as const;
