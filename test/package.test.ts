/** @file The core as a browser bundle: esbuild bundles src/index.ts for browsers without any Node built-in or heavy optional package, under the size goal; optional packages fail with the install command. */
import path from "node:path";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";
import { importOptional, MissingDependencyError } from "../src/ir/platform.js";

const ROOT = path.resolve(__dirname, "..");

describe("package", () => {
  it("the core bundles for browsers: no Node built-ins, no tfjs/ts-morph/Graphviz, gzip under 150 KB", async () => {
    // platform "browser" fails on any import of node:* or an unresolvable package
    const r = await esbuild.build({
      entryPoints: [path.join(ROOT, "src/index.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      keepNames: true,
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((f) => f.includes("node_modules"))).toEqual([]);
    const js = r.outputFiles[0]!.contents;
    const gz = gzipSync(js, { level: 9 }).length;
    console.log(`core browser bundle: ${js.length} bytes minified, ${gz} bytes gzip (${inputs.length} source files)`);
    expect(gz).toBeLessThan(150 * 1024);
    // the built-ins it may use are reached lazily (src/ir/platform.ts), never imported
    expect(Object.values(r.metafile.outputs)[0]!.imports).toEqual([]);
  });

  it("a missing optional package is a MissingDependencyError with the install command", async () => {
    const spec = "graft-no-such-package";
    const err = await importOptional(spec, "this feature", () => import(/* @vite-ignore */ spec)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingDependencyError);
    expect((err as MissingDependencyError).packageName).toBe(spec);
    expect((err as Error).message).toMatch(/^this feature needs the optional package 'graft-no-such-package', which is not installed: npm install graft-no-such-package/);
    // an error that is not "that package is missing" passes through unchanged
    const boom = new Error("boom");
    await expect(importOptional(spec, "x", () => Promise.reject(boom))).rejects.toBe(boom);
  });
});
