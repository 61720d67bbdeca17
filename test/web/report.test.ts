/** @file The HTML step report (`step.report()`, `graft explain --html`) opened from file:// in Chromium: it renders offline, its links reach the source lines, no console errors. */
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "puppeteer-core";
import { fn, gradients, randomNormal, variable, zeros, type Tensor } from "../../src/index.js";
import { lineDiff } from "../../src/runtime/report.js";
import { graft, fixture } from "../cli/helpers.js";
import { chromePath, launch, watchErrors } from "./chrome.js";

const SHOTS = path.resolve(__dirname, "../../test-results");
const tmp = mkdtempSync(path.join(os.tmpdir(), "graft-report-"));

describe("lineDiff", () => {
  it("keeps common lines and marks what was removed and added (an LCS diff)", () => {
    expect(lineDiff(["a", "b", "c", "d"], ["a", "c", "x", "d"])).toEqual(["  a", "- b", "  c", "+ x", "  d"]);
    expect(lineDiff([], ["x"])).toEqual(["+ x"]);
  });
});

describe.skipIf(!chromePath)("HTML step report in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens a report file, refusing every request that is not the file itself (it must need no network). */
  async function open(file: string) {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const fetched: string[] = [];
    await page.setRequestInterception(true);
    page.on("request", (r) => {
      fetched.push(r.url());
      void (r.url() === pathToFileURL(file).href ? r.continue() : r.abort());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    return { page, errors, fetched };
  }

  it("step.report(): every stage, diffs, a linked graph, memory timeline, compile and kernel times", async () => {
    const w = variable(zeros([4, 3]), { name: "w" });
    const step = fn(
      (x: Tensor, y: Tensor) => {
        const loss = x.matmul(w).relu().sub(y).square().mean();
        const [g] = gradients(loss, [w]);
        w.assign(w.sub(g!.mul(0.1)));
        return loss;
      },
      { name: "report_step", profile: true },
    );
    for (let i = 0; i < 3; i++) step(randomNormal([8, 4], { seed: i }), randomNormal([8, 3], { seed: 9 }));
    const file = path.join(tmp, "step.html");
    const html = await step.report({ file });
    expect(readFileSync(file, "utf8")).toBe(html);
    const { page, errors, fetched } = await open(file);
    expect(fetched).toEqual([pathToFileURL(file).href]);
    for (const s of ["traced", "grad", "optimized", "fused"]) expect(await page.$(`#stage-${s}`)).not.toBeNull();
    expect(await page.$$eval("pre.diff .add", (e) => e.length)).toBeGreaterThan(0);
    expect(await page.$$eval("svg.mem rect", (e) => e.length)).toBeGreaterThan(0);
    // kernel times are there because the step was profiled and run
    expect(await page.$eval("#times + table", (e) => e.textContent)).toMatch(/traced.*ms/);
    expect(html).toMatch(/Kernel times<\/h3><table class="bars">/);
    // the graph: op nodes link to this file's lines; following one lands on a highlighted source row
    const links = await page.$$eval(".graph svg a", (as) => as.map((a) => a.getAttribute("xlink:href") ?? a.getAttribute("href")).filter((h) => h?.startsWith("#src-")));
    expect(links.length).toBeGreaterThan(3);
    const target = links.find((h) => h!.includes("report.test.ts"))!;
    expect(target).toBeDefined();
    await page.click(`.graph svg a[*|href="${target}"]`);
    expect(await page.evaluate("location.hash")).toBe(target);
    const row = await page.$eval(`${target.replace(/\./g, "\\.")}`, (e) => ({ cls: e.className, text: e.textContent ?? "" }));
    expect(row.cls).toBe("hit");
    expect(row.text).toMatch(/x\.matmul\(w\)|gradients|w\.assign/);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, "step-report.png") });
    expect(errors).toEqual([]);
  }, 60_000);

  it("graft explain --html writes the same kind of page for a script's function", async () => {
    const file = path.join(tmp, "cli.html");
    const r = await graft(["explain", fixture("mlp.ts"), "--fn", "train_step", "--html", file]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*cli\.html \(train_step #1/);
    const { page, errors, fetched } = await open(file);
    expect(fetched).toHaveLength(1);
    expect(await page.$eval("h1", (e) => e.textContent)).toBe("graft report: train_step");
    // a link from the IR text to a line of the fixture
    const href = await page.$eval("#stage-traced + pre a.loc", (a) => a.getAttribute("href")!);
    expect(href).toMatch(/^#src-test-cli-fixtures-mlp\.ts-\d+$/);
    expect(await page.$(href.replace(/\./g, "\\."))).not.toBeNull();
    expect(errors).toEqual([]);
  }, 90_000);
});
