/** @file `graft/aot` (Node only): writes a compiled step as a standalone module; needs ts-morph, an optional peer dependency. */
import { importOptional } from "./ir/platform.js";

const aot = await importOptional("ts-morph", `"graft/aot"`, () => import("./runtime/aot.js"));

export type { AotOptions, CompiledLike } from "./runtime/aot.js";
/** Writes `outFile` (and the tiny kernel runtime beside it) for the most lowered stage of a compiled fn; returns the paths written. */
export const writeAotModule: typeof import("./runtime/aot.js").writeAotModule = aot.writeAotModule;
