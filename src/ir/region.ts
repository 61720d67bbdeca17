/** @file The hook through which region ops (fused kernels, gradient markers) get interpreter semantics. */
import type { NDArray } from "./ndarray.js";
import type { Node } from "./graph.js";

export type NodeRunner = (n: Node, ins: readonly NDArray[], opts: { readonly f64?: boolean; readonly checkNumerics?: boolean }) => NDArray[];
