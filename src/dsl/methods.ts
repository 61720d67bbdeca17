/** @file Installs every DSL op as a Tensor method with the same name, so `x.matmul(w).add(b).relu()` works. */
import { Tensor } from "./tensor.js";
import * as O from "./ops.js";
import * as C from "./composites.js";

const FIRST_ARG_OPS = { ...O, logSumExp: C.logSumExp, logSoftmax: C.logSoftmax, softmax: C.softmax, softplus: C.softplus, oneHot: C.oneHot, leakyRelu: C.leakyRelu, elu: C.elu, logSigmoid: C.logSigmoid };
type Omit1<F> = F extends (x: Tensor, ...rest: infer R) => infer T ? (...rest: R) => T : never;
type Methods = { [K in Exclude<keyof typeof FIRST_ARG_OPS, "concat" | "stack" | "where">]: Omit1<(typeof FIRST_ARG_OPS)[K]> };

declare module "./tensor.js" {
  interface Tensor extends Methods {
    /** `this` and `others` joined along `axis`. */
    concat(others: Tensor | readonly Tensor[], axis?: number): Tensor;
    /** Treats this bool tensor as the condition: `cond.where(a, b)`. */
    where(a: import("./apply.js").TensorLike, b: import("./apply.js").TensorLike): Tensor;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const [name, f] of Object.entries(FIRST_ARG_OPS)) {
  if (name === "concat" || name === "stack" || name === "where" || typeof f !== "function") continue;
  proto[name] = function (this: Tensor, ...rest: unknown[]) {
    return (f as (...a: unknown[]) => Tensor)(this, ...rest);
  };
}
proto.concat = function (this: Tensor, others: Tensor | readonly Tensor[], axis = 0) {
  return O.concat([this, ...(Array.isArray(others) ? others : [others as Tensor])], axis);
};
proto.where = function (this: Tensor, a: Tensor | number, b: Tensor | number) {
  return O.where(this, a, b);
};
