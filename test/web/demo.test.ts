/** @file The browser demo in Debian's Chromium: the page trains an MLP on real MNIST with graft, the loss falls, validation accuracy passes 80%, no console errors; a screenshot is saved. */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "puppeteer-core";
import { chromePath, launch, watchErrors } from "./chrome.js";
// @ts-expect-error a plain .mjs script without declarations
import { startDemo } from "../../scripts/web-demo.mjs";

interface DemoState {
  backend: string;
  steps: number;
  losses: number[];
  accuracy: [number, number][];
  stepsPerSecond: number;
  done: boolean;
  error?: string;
}
const SHOTS = path.resolve(__dirname, "../../test-results");

describe.skipIf(!chromePath)("web demo in Chromium", () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    [server, browser] = await Promise.all([startDemo({ port: 0, log: () => {} }), launch()]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("trains on MNIST: loss falls, accuracy > 0.8, no console errors, screenshot saved", async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    const errors = watchErrors(page);
    await page.goto(`${server.url}?steps=150&batch=64&hidden=64`, { waitUntil: "load" });
    await page.waitForFunction(() => (globalThis as { graftDemo?: DemoState }).graftDemo?.done, { timeout: 90_000, polling: 200 });
    // the graph picture loads its Graphviz chunk after the first step: wait until it is drawn (or says why not)
    await page.waitForFunction(`document.getElementById("graph")?.textContent !== "rendering…"`, { timeout: 30_000 });
    const s = (await page.evaluate(() => (globalThis as { graftDemo?: DemoState }).graftDemo)) as DemoState;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, "web-demo.png"), fullPage: true });
    expect(s.error).toBeUndefined();
    expect(s.backend).toBe("js");
    expect(s.steps).toBe(150);
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    // cross-entropy over 10 classes starts near ln 10 = 2.30; the last 20 steps average well below half of the first 10
    expect(s.losses[0]).toBeGreaterThan(1.9);
    expect(mean(s.losses.slice(-20))).toBeLessThan(0.5 * mean(s.losses.slice(0, 10)));
    expect(s.accuracy.at(-1)![1]).toBeGreaterThan(0.8);
    expect(await page.$eval("#ir", (e) => e.textContent ?? "")).toMatch(/^func @train_step\(/m);
    expect(await page.$$eval("#graph svg g.node", (ns) => ns.length)).toBeGreaterThan(5);
    expect(await page.$$eval("#samples figcaption.ok", (ns) => ns.length)).toBeGreaterThan(20);
    expect(errors).toEqual([]);
    console.log(`web demo: ${s.steps} steps, loss ${mean(s.losses.slice(0, 10)).toFixed(3)} -> ${mean(s.losses.slice(-20)).toFixed(3)}, val acc ${s.accuracy.at(-1)![1]}, ${s.stepsPerSecond.toFixed(1)} steps/s; screenshot ${path.relative(process.cwd(), path.join(SHOTS, "web-demo.png"))}`);
  }, 150_000);

  it("the tfjs backend in the browser (graft/tfjs, bundled as its own chunk) trains too", async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}?steps=40&batch=64&hidden=32&backend=tfjs`, { waitUntil: "load" });
    await page.waitForFunction(() => (globalThis as { graftDemo?: DemoState }).graftDemo?.done, { timeout: 90_000, polling: 200 });
    const s = (await page.evaluate(() => (globalThis as { graftDemo?: DemoState }).graftDemo)) as DemoState;
    expect(s.error).toBeUndefined();
    expect(s.backend).toBe("tfjs");
    expect(s.losses[0]).toBeGreaterThan(1.9);
    expect(s.losses.slice(-10).reduce((a, b) => a + b, 0) / 10).toBeLessThan(0.6 * s.losses[0]!);
    expect(errors).toEqual([]);
  }, 120_000);

  it("a backend that cannot start shows a visible message, not a blank page", async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}?steps=5&backend=no-such-backend`, { waitUntil: "load" });
    await page.waitForFunction(() => (globalThis as { graftDemo?: DemoState }).graftDemo?.done, { timeout: 60_000, polling: 100 });
    const banner = await page.$eval("#status", (e) => ({ text: e.textContent ?? "", cls: e.className, visible: (e as unknown as { offsetHeight: number }).offsetHeight > 0 }));
    expect(banner.cls).toBe("error");
    expect(banner.visible).toBe(true);
    expect(banner.text).toMatch(/no-such-backend/);
    expect(errors).toEqual([]);
  }, 90_000);
});
