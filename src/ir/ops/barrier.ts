/** @file stop_gradient: the identity in the forward pass, a wall for autodiff. */
import { nd } from "../ndarray.js";
import { defineOp } from "./def.js";

export const barrierOps = {
  stop_gradient: defineOp<{}>({
    kind: "barrier",
    arity: 1,
    attrs: {},
    infer: ([x]) => x!,
    interpret: ([x], _a, out, wide) => nd(out.dtype, out.shape, x!.data, wide),
    vjp: { zero: "stop_gradient blocks gradients by definition" },
    js: { expr: ([x]) => x! },
    tfjs: ([x]) => `${x}`,
    onnx: (e, ins) => e.node("Identity", ins),
  }),
} as const;
