/** @file The one-way dependency rule ir <- passes <- codegen <- runtime <- dsl <- train, and per-file hygiene for src/. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const SRC = path.join(ROOT, "src");

/** Layers, lowest first: a file may import from its own layer and the ones before it. */
const LAYERS = ["ir", "passes", "codegen", "runtime", "dsl", "train"] as const;
/** Consumers at the top: they may import any layer, and no layer may import them. */
const TOP = ["cli", "testing", "index.ts", "tfjs.ts", "aot.ts"] as const;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : f.endsWith(".ts") ? [p] : [];
  });
}

const files = walk(SRC).map((abs) => ({ abs, rel: path.relative(SRC, abs).split(path.sep).join("/"), text: readFileSync(abs, "utf8") }));
const unitOf = (rel: string): string => rel.split("/")[0]!;
const rank = (unit: string): number => (LAYERS as readonly string[]).indexOf(unit);

/** Every module specifier a file uses: static imports, re-exports, side-effect imports, import() (types too). */
const importsOf = (text: string): string[] => ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);

/** Violations of the rule in a set of files (paths relative to src/). */
function layeringViolations(set: readonly { rel: string; text: string }[]): { violations: string[]; relative: number } {
  const violations: string[] = [];
  let relative = 0;
  for (const f of set) {
    const from = unitOf(f.rel);
    for (const spec of importsOf(f.text)) {
      if (!spec.startsWith(".")) {
        // the test framework is for src/testing only
        if ((spec === "vitest" || spec.startsWith("vitest/")) && from !== "testing") violations.push(`${f.rel} imports ${spec}`);
        continue;
      }
      relative++;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f.rel), spec));
      if (target.startsWith("..")) {
        violations.push(`${f.rel} imports ${spec}, outside src/`);
        continue;
      }
      const to = unitOf(target.replace(/\.js$/, ".ts"));
      if (from === to || (TOP as readonly string[]).includes(from)) continue;
      if ((TOP as readonly string[]).includes(to)) violations.push(`${f.rel} imports ${spec}: ${to} is a consumer, nothing in a layer imports it`);
      else if (rank(to) > rank(from)) violations.push(`${f.rel} (${from}) imports ${spec} (${to}), a layer above it`);
    }
  }
  return { violations, relative };
}

describe("layering", () => {
  it("every top-level entry of src/ is a known layer or consumer", () => {
    const units = [...new Set(files.map((f) => unitOf(f.rel)))];
    const unknown = units.filter((u) => rank(u) < 0 && !(TOP as readonly string[]).includes(u));
    expect(unknown, "add new folders to LAYERS or TOP in test/layering.test.ts").toEqual([]);
  });

  it("the parser sees imports of every kind", () => {
    expect(importsOf(`import type { A } from "./a.js";\nexport * from "./b.js";\nimport "./c.js";\ntype D = import("./d.js").D;\nconst e = () => import("./e.js");`))
      .toEqual(["./a.js", "./b.js", "./c.js", "./d.js", "./e.js"]);
  });

  it("the checker catches upward imports, imports of consumers, and escapes from src/", () => {
    const { violations } = layeringViolations([
      { rel: "ir/graph.ts", text: `import type { Tensor } from "../dsl/tensor.js";` },
      { rel: "passes/fuse.ts", text: `import { x } from "../ir/index.js";\nimport { y } from "./rewrite.js";` },
      { rel: "runtime/a.ts", text: `export * from "../index.js";` },
      { rel: "dsl/b.ts", text: `import "../../test/helpers.js";\nimport { expect } from "vitest";` },
      { rel: "cli/main.ts", text: `import { fn } from "../index.js";\nimport { z } from "../train/index.js";` },
    ]);
    expect(violations).toEqual([
      "ir/graph.ts (ir) imports ../dsl/tensor.js (dsl), a layer above it",
      "runtime/a.ts imports ../index.js: index.ts is a consumer, nothing in a layer imports it",
      "dsl/b.ts imports ../../test/helpers.js, outside src/",
      "dsl/b.ts imports vitest",
    ]);
  });

  it("dependencies point one way: ir <- passes <- codegen <- runtime <- dsl <- train", () => {
    const { violations, relative } = layeringViolations(files);
    expect(relative).toBeGreaterThan(50);
    expect(violations).toEqual([]);
  });
});

describe("src file hygiene", () => {
  it("every file starts with a /** @file line", () => {
    expect(files.filter((f) => !/^\/\*\* @file \S/.test(f.text)).map((f) => f.rel)).toEqual([]);
  });
  it("every file is under 800 lines", () => {
    expect(files.filter((f) => f.text.split("\n").length >= 800).map((f) => `${f.rel}: ${f.text.split("\n").length} lines`)).toEqual([]);
  });
});
