/** @file The persistent compile cache: reuse across processes, rebuilding truncated, tampered and other-version entries, concurrent writers, off switches. */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { cacheDir } from "../../src/runtime/cache.js";

const ROOT = path.resolve(__dirname, "../..");
const CHILD = path.join(__dirname, "fixtures", "cache-child.ts");
const run = promisify(execFile);

interface ChildOut {
  cache: string[];
  losses: number[];
  params: number[][];
  fused: string;
}

/** Runs the child with its own cache folder (or the cache off) and parses what it printed. */
async function child(env: Record<string, string>): Promise<ChildOut> {
  const clean = { ...process.env };
  delete clean.GRAFT_CACHE_DIR;
  delete clean.GRAFT_CACHE;
  delete clean.GRAFT_DUMP;
  const { stdout } = await run(process.execPath, ["--import", "tsx", CHILD], { cwd: ROOT, env: { ...clean, ...env }, timeout: 120_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as ChildOut;
}

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), "graft-cache-test-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const entryOf = (dir: string): string => {
  const files = readdirSync(dir);
  expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]); // no temporary file left behind
  const entries = files.filter((f) => f.endsWith(".json"));
  expect(entries).toHaveLength(1);
  return path.join(dir, entries[0]!);
};

// each test starts several child processes (a tsx start and a compile each): generous under load
describe("persistent compile cache", { timeout: 240_000 }, () => {
  // the same step compiled without any cache: the oracle for every cached run
  const fresh = child({ GRAFT_CACHE: "0" });

  it("a second process reuses the entry, with the same results and stages as a fresh compile", async () => {
    const dir = tempDir();
    const first = await child({ GRAFT_CACHE_DIR: dir });
    const second = await child({ GRAFT_CACHE_DIR: dir });
    const ref = await fresh;
    expect(ref.cache).toEqual(["off"]);
    expect(first.cache).toEqual(["stored"]);
    expect(second.cache).toEqual(["hit"]);
    for (const r of [first, second]) {
      expect(r.losses).toEqual(ref.losses);
      expect(r.params).toEqual(ref.params);
      expect(r.fused).toBe(ref.fused); // stages read back from the entry print as the compiled ones
    }
  });

  it("a truncated entry, a tampered one and one from another graft version are rebuilt, never used", async () => {
    const dir = tempDir();
    await child({ GRAFT_CACHE_DIR: dir });
    const file = entryOf(dir);
    const good = readFileSync(file, "utf8");
    const ref = await fresh;
    const nl = good.indexOf("\n");
    const head = JSON.parse(good.slice(0, nl)) as Record<string, unknown>;
    const cases: [string, string, RegExp][] = [
      ["truncated", good.slice(0, Math.floor(good.length * 0.6)), /^rebuilt: truncated/],
      // same length, one character of the program changed: only the checksum can tell
      ["tampered", good.slice(0, -40) + (good.at(-40) === "1" ? "2" : "1") + good.slice(-39), /^rebuilt: checksum mismatch/],
      ["other version", JSON.stringify({ ...head, fingerprint: "0.0.1+0000000000000000" }) + good.slice(nl), /^rebuilt: written by graft 0\.0\.1/],
      ["not JSON", "garbage", /^rebuilt: /],
    ];
    for (const [what, text, why] of cases) {
      writeFileSync(file, text);
      const r = await child({ GRAFT_CACHE_DIR: dir });
      expect({ what, cache: r.cache[0] }).toEqual({ what, cache: expect.stringMatching(why) });
      expect(r.losses).toEqual(ref.losses);
      expect(readFileSync(entryOf(dir), "utf8")).toBe(good); // rewritten whole
    }
    expect((await child({ GRAFT_CACHE_DIR: dir })).cache).toEqual(["hit"]);
  });

  it("two processes writing at once leave one valid entry", async () => {
    const dir = tempDir();
    const both = await Promise.all([child({ GRAFT_CACHE_DIR: dir }), child({ GRAFT_CACHE_DIR: dir })]);
    for (const r of both) expect(["stored", "hit"]).toContain(r.cache[0]);
    entryOf(dir);
    const after = await child({ GRAFT_CACHE_DIR: dir });
    expect(after.cache).toEqual(["hit"]);
    expect(after.losses).toEqual((await fresh).losses);
  });

  it("is off with GRAFT_CACHE=0, and by default under vitest and CI unless a folder is named", () => {
    const saved = { ...process.env };
    try {
      delete process.env.GRAFT_CACHE_DIR;
      delete process.env.GRAFT_CACHE;
      process.env.VITEST = "true";
      expect(cacheDir()).toBeUndefined();
      expect(cacheDir("/tmp/x")).toBe("/tmp/x");
      process.env.GRAFT_CACHE_DIR = "/tmp/y";
      expect(cacheDir()).toBe("/tmp/y");
      expect(cacheDir(false)).toBeUndefined();
      process.env.GRAFT_CACHE = "0";
      expect(cacheDir()).toBeUndefined();
      delete process.env.VITEST;
      delete process.env.CI;
      delete process.env.GRAFT_CACHE;
      delete process.env.GRAFT_CACHE_DIR;
      process.env.XDG_CACHE_HOME = "/tmp/xdg";
      expect(cacheDir()).toBe(path.join("/tmp/xdg", "graft"));
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
