/** @file Activation functions by name (Keras's identifiers), all DSL composites. */
import { elu, leakyRelu, relu, sigmoid, softmax, softplus, tanh, type Tensor } from "../../dsl/index.js";
import { UsageError } from "../../ir/index.js";

export type ActivationFn = (x: Tensor) => Tensor;
export type ActivationName = "linear" | "relu" | "sigmoid" | "tanh" | "softmax" | "softplus" | "elu" | "leakyRelu" | "gelu";

const ACTIVATIONS: Record<string, ActivationFn> = {
  linear: (x) => x,
  relu,
  sigmoid,
  tanh,
  softmax: (x) => softmax(x, -1),
  softplus,
  elu,
  leakyRelu: (x) => leakyRelu(x),
  leaky_relu: (x) => leakyRelu(x),
  // tanh approximation of GELU (Hendrycks & Gimpel)
  gelu: (x) => x.mul(0.5).mul(tanh(x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1)),
};

/** The function for a name or the function itself; undefined/null means linear. */
export function getActivation(a: ActivationName | string | ActivationFn | undefined | null): { fn: ActivationFn; name: string } {
  if (a === undefined || a === null) return { fn: ACTIVATIONS.linear!, name: "linear" };
  if (typeof a === "function") return { fn: a, name: a.name || "custom" };
  const f = ACTIVATIONS[a];
  if (!f) throw new UsageError(`unknown activation '${a}' (known: ${Object.keys(ACTIVATIONS).join(", ")})`);
  return { fn: f, name: a };
}
