/** @file Golden IR tests: test/golden/<pass>/*.ir hold IR in, the passes to run, and the exact IR (or plan) out.
 *
 * File format:
 *   // passes: simplify, dce          (names from PASSES, run in order, verified after each)
 *   // options: {"fastMath": true}    (optional PassOptions as JSON)
 *   // print: plan | explain          (optional: print the memory plan or the fusion explanation)
 *   func @f(...) { ... }              (the input)
 *   // ----
 *   func @f(...) { ... }              (the expected output)
 * UPDATE_GOLDEN=1 rewrites the expected part from what the passes produce; review the diff.
 * Besides the text, each IR result must compute what the input computes (interpreter, seeded
 * inputs), so a blessed golden cannot enshrine a wrong rewrite.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, print } from "../../src/ir/index.js";
import { makeContext, runPasses, type PassOptions } from "../../src/passes/pass.js";
import { PASSES } from "../../src/passes/pipeline.js";
import { planMemory, printPlan } from "../../src/passes/memory.js";
import { explain } from "../../src/passes/explain.js";
import { mismatch, runOn } from "./helpers.js";

const ROOT = join(__dirname, "..", "golden");
const SEP = "// ----";
const DIRS = ["dce", "cse", "fold", "simplify", "stabilize", "layout", "fuse", "memory"];
const bless = process.env.UPDATE_GOLDEN === "1";

interface Case {
  readonly passes: string[];
  readonly options: PassOptions;
  readonly printAs: "ir" | "plan" | "explain";
  readonly input: string;
  readonly expected: string;
  readonly head: string;
}

function readCase(text: string): Case {
  const at = text.indexOf(`\n${SEP}\n`);
  if (at < 0) throw new Error(`no '${SEP}' separator`);
  const input = text.slice(0, at + 1);
  const header = (key: string) => input.match(new RegExp(`^// ${key}: (.*)$`, "m"))?.[1]?.trim();
  const passes = (header("passes") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (!passes.length) throw new Error("no '// passes:' header");
  return {
    passes,
    options: JSON.parse(header("options") ?? "{}") as PassOptions,
    printAs: (header("print") ?? "ir") as Case["printAs"],
    input,
    expected: text.slice(at + SEP.length + 2).trim(),
    head: input,
  };
}

for (const dir of DIRS) {
  const files = readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(".ir")).sort();
  describe(`golden ${dir}`, () => {
    it("has at least five cases", () => expect(files.length).toBeGreaterThanOrEqual(5));
    for (const file of files) {
      it(file, () => {
        const path = join(ROOT, dir, file);
        const c = readCase(readFileSync(path, "utf8"));
        const g = parse(c.input);
        const unknown = c.passes.filter((p) => !PASSES[p]);
        expect(unknown, `unknown passes (known: ${Object.keys(PASSES).join(", ")})`).toEqual([]);
        const out = runPasses(g, c.passes.map((p) => PASSES[p]!), makeContext({ ...c.options, verify: true })).graph;
        const text = c.printAs === "plan" ? printPlan(planMemory(out)) : c.printAs === "explain" ? explain(out, c.options) : print(out, { locs: false });
        if (bless) writeFileSync(path, `${c.head}${SEP}\n${text}\n`);
        else expect(text).toBe(c.expected);
        // fastMath rewrites change NaN/Inf/-0 results by definition: only their text is checked
        // (graphs with gradient markers cannot run until the grad pass expands them)
        if (c.printAs === "ir" && !c.options.fastMath && !/ = (grad|custom_grad) /.test(c.input)) {
          // the output still computes what the input did (NaN and Inf inputs included)
          for (const seed of [1, 2, 3]) {
            let before: number[][];
            try {
              before = runOn(g, seed, 0.15);
            } catch (e) {
              // an input the interpreter rejects must still be rejected the same way
              expect(() => runOn(out, seed, 0.15)).toThrow((e as Error).message.split("\n")[0]);
              continue;
            }
            // exact passes keep even the sign of a zero; stabilization may change it (log1p(-0) is -0, log(1 + -0) is +0)
            const exact = !c.passes.some((p) => p === "stabilize" || p === "optimize");
            expect(mismatch(before, runOn(out, seed, 0.15), 1e-5, 1e-6, exact), `seed ${seed}`).toBeUndefined();
          }
          expect(print(parse(text), { locs: false })).toBe(text);
        }
      });
    }
  });
}
