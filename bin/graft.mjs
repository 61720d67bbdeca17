#!/usr/bin/env node
/** @file The `graft` command's entry: registers tsx (the TypeScript loader) in this process, then runs src/cli/main.ts. */
import { register } from "tsx/esm/api";
import { register as registerCjs } from "tsx/cjs/api";

// user scripts and graft itself are TypeScript; one process runs both, so the CLI can see what a
// script compiled (src/runtime/registry.ts) and stack frames point at .ts lines
process.setSourceMapsEnabled(true);
register();
registerCjs(); // scripts outside an ESM package are CommonJS to Node
let main;
try {
  ({ main } = await import("../src/cli/main.ts"));
} catch (e) {
  // graft's own sources failed to load: not the user's script (exit 3) nor their arguments (2)
  process.stderr.write(`graft: internal error: could not load the CLI:\n${e?.stack ?? e}\n`);
  process.exit(4);
}
const code = await main(process.argv.slice(2));
// a failed script may leave timers or sockets behind: do not wait for them
if (code !== 0) process.exit(code);
