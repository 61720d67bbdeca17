/** @file The package as a user gets it: `npm pack`, install the tarball into a fresh project (offline), run a plain .mjs training script, type-check a strict TS consumer, run the `graft` bin; prints install sizes. */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixtures = path.join(root, "scripts", "consumer");
const keep = process.argv.includes("--keep");
const tmp = mkdtempSync(path.join(os.tmpdir(), "graft-consumer-"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const sh = (cmd, args, cwd, extra = {}) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", ...extra });
const step = (s) => console.log(`consumer: ${s}`);

/** Bytes of every file under `dir` (what the package occupies on disk, before block rounding). */
function bytesUnder(dir) {
  let n = 0, files = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const r = bytesUnder(p);
      n += r.n;
      files += r.files;
    } else if (e.isFile()) {
      n += statSync(p).size;
      files++;
    }
  }
  return { n, files };
}

try {
  step("npm pack (prepack builds dist/)");
  const packed = JSON.parse(sh(npm, ["pack", "--json", "--pack-destination", tmp], root, { stdio: ["ignore", "pipe", "ignore"] }));
  const tarball = path.join(tmp, packed[0].filename);
  const project = path.join(tmp, "app");
  sh("mkdir", ["-p", project], tmp);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "graft-consumer", private: true, type: "module" }, null, 2));
  for (const f of ["train.mjs", "consumer.ts", "tsconfig.json"]) copyFileSync(path.join(fixtures, f), path.join(project, f));

  // the core has no dependencies (its heavy parts are optional peers), so this needs no network
  step(`npm install ${path.basename(tarball)} --offline`);
  sh(npm, ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], project);
  const installed = path.join(project, "node_modules", "graft");
  const size = bytesUnder(installed);
  const all = bytesUnder(path.join(project, "node_modules"));
  const tgz = statSync(tarball).size;
  console.log(`consumer: install size: graft ${size.n} bytes in ${size.files} files (node_modules total ${all.n} bytes); tarball ${tgz} bytes`);
  const deps = readdirSync(path.join(project, "node_modules")).filter((d) => !d.startsWith("."));
  if (deps.join() !== "graft") throw new Error(`installing the core pulled in more than graft: ${deps.join(", ")}`);

  step("(a) node train.mjs");
  process.stdout.write(sh(process.execPath, ["train.mjs"], project));

  step("(b) tsc --strict on a TypeScript consumer (no @types/node)");
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  sh(process.execPath, [tsc, "-p", "tsconfig.json"], project);

  step("(c) the graft bin");
  const bin = path.join(project, "node_modules", ".bin", "graft");
  const help = sh(bin, ["--help"], project);
  if (!/usage/i.test(help)) throw new Error(`graft --help printed no usage:\n${help}`);
  const run = sh(bin, ["run", "train.mjs"], project);
  if (!/consumer train\.mjs: loss/.test(run)) throw new Error(`graft run train.mjs did not run the script:\n${run}`);
  const dump = sh(bin, ["dump", "train.mjs", "--stage", "fused"], project);
  if (!/func @/.test(dump)) throw new Error(`graft dump printed no IR:\n${dump}`);
  // a feature whose optional package is missing: exit 2 and the install command, not a crash
  let svg;
  try {
    sh(bin, ["dump", "train.mjs", "--format", "svg"], project, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    svg = e;
  }
  if (svg?.status !== 2 || !String(svg.stderr).includes("npm install @hpcc-js/wasm-graphviz")) throw new Error(`graft dump --format svg without Graphviz: want exit 2 naming the package, got ${svg?.status}: ${svg?.stderr}`);
  step(`graft --help, graft run, graft dump --stage fused (${dump.split("\n").length} lines of IR) work from dist/; --format svg without Graphviz exits 2 naming the package`);

  console.log("consumer: ok");
} finally {
  if (keep) console.log(`consumer: kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
