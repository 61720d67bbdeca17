/** @file The package as a user gets it: `npm pack`, install the tarball into a fresh project (offline), run a plain .mjs training script, type-check a strict TS consumer, run the `graft` bin; prints install sizes. */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

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

/** (d) the installed package bundled for browsers (esbuild) and trained in headless Chromium, when there is one. */
async function browserCheck(project) {
  const chrome = [process.env.CHROME_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
  if (!chrome) return step("SKIP (d) browser check: no Chromium (set CHROME_PATH, or apt-get install chromium)");
  const esbuild = await import("esbuild");
  const r = await esbuild.build({ entryPoints: [path.join(project, "browser.mjs")], absWorkingDir: project, bundle: true, format: "esm", platform: "browser", minify: true, write: false });
  // inline: Chromium refuses module scripts from file:// URLs (CORS), and the page must need no server
  const code = r.outputFiles[0].text.replace(/<\/script/gi, "<\\/script");
  writeFileSync(path.join(project, "index.html"), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module">${code}</script>`);
  const puppeteer = (await import("puppeteer-core")).default;
  const browser = await puppeteer.launch({ executablePath: chrome, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(path.join(project, "index.html")).href);
    await page.waitForFunction(() => document.title === "done", { timeout: 60_000 }).catch(() => {}); // errors are reported below
    const res = await page.evaluate(() => globalThis.result);
    if (errors.length || !res || !(res.last < res.first * 0.01)) throw new Error(`browser check failed: ${JSON.stringify({ res, errors })}`);
    step(`(d) in Chromium, bundled from the tarball (${r.outputFiles[0].contents.length} bytes): ${res.backend} backend, loss ${res.first.toFixed(3)} -> ${res.last.toExponential(2)}`);
  } finally {
    await browser.close();
  }
}

try {
  step("npm pack (prepack builds dist/)");
  const packed = JSON.parse(sh(npm, ["pack", "--json", "--pack-destination", tmp], root, { stdio: ["ignore", "pipe", "ignore"] }));
  const tarball = path.join(tmp, packed[0].filename);
  const project = path.join(tmp, "app");
  sh("mkdir", ["-p", project], tmp);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "graft-consumer", private: true, type: "module" }, null, 2));
  for (const f of ["train.mjs", "consumer.ts", "tsconfig.json", "browser.mjs"]) copyFileSync(path.join(fixtures, f), path.join(project, f));

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

  await browserCheck(project);
  console.log("consumer: ok");
} finally {
  if (keep) console.log(`consumer: kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
