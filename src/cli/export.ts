/** @file `graft export --onnx`: write a script's compiled step (the optimized graph) as an ONNX model. */
import fs from "node:fs";
import path from "node:path";
import { encodeModel, lowerGraph } from "../codegen/onnx/index.js";
import { print } from "../ir/index.js";
import { CliUsageError, EXIT, type Parsed } from "./args.js";
import { pick } from "./aot.js";
import { runDumped } from "./session.js";
import { resolveScript } from "./script.js";

export const exportHelp = `graft export — write a script's compiled step as an ONNX model

usage: graft export --onnx FILE script.ts [--fn NAME] [--sig N] [-- script args]

Runs the script, takes the function it compiled (the only one, or --fn NAME) at its latest
trace (or --sig N), and writes its optimized graph as an ONNX model (opset 17): arguments are
inputs input_<i>, state is input state.<name> and, when assigned, output state.<name>.next;
results are output_<i>. Each node's doc_string holds the IR line and your file:line.

options:
  --onnx FILE  where to write the model
  --fn NAME    which compiled function (needed when the script compiles several)
  --sig N      which trace of it (default: the latest)`;

export const exportOptions = { onnx: "value", fn: "value", sig: "value" } as const;

export async function exportCommand(p: Parsed): Promise<number> {
  const script = resolveScript("export", p.positional[0]);
  const out = p.options.onnx;
  if (typeof out !== "string") throw new CliUsageError("--onnx FILE is required (the only export format)", "export");
  const session = await runDumped(script, { argv: p.rest });
  try {
    const rec = pick(session.records, p.options.fn as string | undefined, p.options.sig as string | undefined);
    const g = rec.stages.optimized ?? rec.stages.traced;
    const bytes = encodeModel(lowerGraph(g, { docString: `graft step ${rec.fnName} (${rec.signature})`, metadata: { "graft.ir": print(g) } }).model);
    fs.writeFileSync(path.resolve(out), bytes);
    process.stdout.write(`wrote ${rec.fnName} (trace #${rec.sigIndex}, ${rec.signature}) as ONNX: ${path.relative(process.cwd(), path.resolve(out))} (${bytes.length} bytes)\n`);
    return EXIT.ok;
  } finally {
    session.cleanup();
  }
}
