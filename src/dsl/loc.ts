/** @file Finds the user's source line (file:line) that called into graft, for IR locations and errors. */
import { cwd, nodeBuiltin } from "../ir/platform.js";

const path = nodeBuiltin("node:path");
const url = nodeBuiltin("node:url");
const HERE = import.meta.url;
/**
 * graft's own code: in Node, the folder above this file (src/ or dist/); elsewhere the same folder
 * as a URL when graft is loaded file by file, or just this file when it is bundled (then a user's
 * code bundled into the same file cannot be told apart, and locations are left out).
 */
const SRC_ROOT =
  path && url && HERE.startsWith("file:")
    ? path.resolve(path.dirname(url.fileURLToPath(HERE)), "..")
    : /\/dsl\/loc\.[jt]s$/.test(HERE.split(/[?#]/)[0]!)
      ? new URL("..", HERE).href
      : HERE.split(/[?#]/)[0]!;
const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?$/;

/** Whether a file is part of graft's own library code (its frames are skipped). */
const isInternal = (file: string): boolean =>
  file.startsWith(SRC_ROOT) || file.startsWith("node:") || file.includes("/node_modules/") || file.startsWith("internal/");

/** The first frame outside graft among the innermost `depth` frames of the current stack. */
function firstUserFrame(depth: number): string | undefined | null {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = depth;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  const lines = stack.split("\n").slice(1);
  for (const line of lines) {
    const m = line.trim().match(FRAME);
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith("file://") && url) file = url.fileURLToPath(file);
    if (isInternal(file)) continue;
    const dir = cwd();
    if (!path || dir === undefined) return `${file}:${m[2]}`;
    const rel = path.relative(dir, file);
    return `${rel.startsWith("..") ? file : rel}:${m[2]}`;
  }
  // null: every captured frame was graft's own, a deeper look may find the user's
  return lines.length >= depth ? null : undefined;
}

/**
 * "examples/mnist.ts:42" for the innermost stack frame outside graft, or undefined. Stacks are
 * captured shallow first (with source maps on, as under tsx, every captured frame is mapped,
 * which made this the bulk of tracing time), then to 40 frames when all shallow ones are graft's.
 */
export function userLoc(): string | undefined {
  const near = firstUserFrame(10);
  return near === null ? (firstUserFrame(40) ?? undefined) : near;
}
