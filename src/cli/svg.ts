/** @file DOT to SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz, an optional dependency): no system Graphviz needed. */
import { importOptional } from "../ir/platform.js";

type Graphviz = import("@hpcc-js/wasm-graphviz").Graphviz;
let loaded: Promise<Graphviz> | undefined;

/** Lays out and renders a DOT graph as an SVG document (the wasm module loads once, on first use). */
export async function dotToSvg(dot: string): Promise<string> {
  loaded ??= importOptional("@hpcc-js/wasm-graphviz", "SVG graph pictures", () => import("@hpcc-js/wasm-graphviz")).then((m) => m.Graphviz.load());
  const gv = await loaded.catch((e: unknown) => {
    loaded = undefined; // a later call may find it installed
    throw e;
  });
  return gv.dot(dot, "svg");
}
