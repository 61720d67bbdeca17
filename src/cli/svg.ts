/** @file DOT to SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz): no system Graphviz needed. */
import { Graphviz } from "@hpcc-js/wasm-graphviz";

let loaded: Promise<Graphviz> | undefined;

/** Lays out and renders a DOT graph as an SVG document (the wasm module loads once, on first use). */
export async function dotToSvg(dot: string): Promise<string> {
  loaded ??= Graphviz.load();
  const gv = await loaded;
  return gv.dot(dot, "svg");
}
