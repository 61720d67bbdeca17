/** @file `graft/tfjs`: imports @tensorflow/tfjs (an optional peer dependency) and hands it to graft's tfjs backend; bundlers include it from here. */
import { importOptional } from "./ir/platform.js";
import { registerTfjs } from "./runtime/tfjs.js";
import type { Tfjs } from "./codegen/tfjs/index.js";

// a literal dynamic import: bundlers bundle tfjs into this entry, Node resolves it from the user's node_modules
const tf = await importOptional("@tensorflow/tfjs", `"graft/tfjs"`, () => import("@tensorflow/tfjs"));
registerTfjs(((tf as { default?: unknown }).default ?? tf) as Tfjs);

export { initTfjs, ready, type TfjsBackendName } from "./runtime/tfjs.js";
export { toTfjs, fromTfjs, fromTfjsVariable } from "./dsl/tfjs.js";
