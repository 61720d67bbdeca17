#!/usr/bin/env node
/** @file The `graft` command's entry: runs the built CLI (dist/), or src/ through tsx in a checkout; registers tsx for users' .ts scripts when it is installed. */
import { existsSync } from "node:fs";

// user scripts are TypeScript; one process runs them and the CLI, so the CLI can see what a
// script compiled (src/runtime/registry.ts) and stack frames point at .ts lines
process.setSourceMapsEnabled(true);
// a checkout (tsconfig.json beside bin/) runs the sources, so a stale dist/ is never used there
const checkout = existsSync(new URL("../tsconfig.json", import.meta.url));
let tsx = false;
try {
  const [{ register }, { register: registerCjs }] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
  register();
  registerCjs(); // scripts outside an ESM package are CommonJS to Node
  tsx = true;
} catch (e) {
  if (checkout) {
    process.stderr.write(`graft: internal error: could not load tsx, which a checkout needs:\n${e?.stack ?? e}\n`);
    process.exit(4);
  }
  // tsx is an optional peer dependency: without it .js/.mjs scripts still run (src/cli/script.ts says what .ts needs)
}
globalThis.__graftTsx = tsx;
let main;
try {
  ({ main } = await import(checkout ? "../src/cli/main.ts" : "../dist/cli/main.js"));
} catch (e) {
  // graft's own sources failed to load: not the user's script (exit 3) nor their arguments (2)
  process.stderr.write(`graft: internal error: could not load the CLI:\n${e?.stack ?? e}\n`);
  process.exit(4);
}
const code = await main(process.argv.slice(2));
// a failed script may leave timers or sockets behind: do not wait for them
if (code !== 0) process.exit(code);
