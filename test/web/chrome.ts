/** @file Finds a Chromium for the browser tests (CHROME_PATH, else Debian's /usr/bin/chromium) and launches it headless with puppeteer-core. */
import { existsSync } from "node:fs";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** The Chromium to drive, or undefined (the browser tests then print a skip line). */
export const chromePath: string | undefined = [process.env["CHROME_PATH"], "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p): p is string => !!p && existsSync(p));

if (!chromePath) console.log("SKIP browser tests: no Chromium found (set CHROME_PATH, or apt-get install chromium)");

/** Headless, sandbox-less (CI runs as root), no GPU, and nothing that reaches the network on its own. */
export function launch(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
}

/** Console errors and uncaught page errors, collected from the moment the page opens. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${String(e)}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  return errors;
}
