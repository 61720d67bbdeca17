/** @file Finds the user's source line (file:line) that called into graft, for IR locations and errors. */
import { fileURLToPath } from "node:url";
import path from "node:path";

const SRC_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?$/;

/** Whether a file is part of graft's own library code (its frames are skipped). */
const isInternal = (file: string): boolean =>
  file.startsWith(SRC_ROOT) || file.startsWith("node:") || file.includes("/node_modules/") || file.startsWith("internal/");

/** "examples/mnist.ts:42" for the innermost stack frame outside graft, or undefined. */
export function userLoc(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const m = line.trim().match(FRAME);
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith("file://")) file = fileURLToPath(file);
    if (isInternal(file)) continue;
    const rel = path.relative(process.cwd(), file);
    return `${rel.startsWith("..") ? file : rel}:${m[2]}`;
  }
  return undefined;
}
