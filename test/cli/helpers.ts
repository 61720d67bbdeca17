/** @file Running `graft` as a subprocess (bin/graft.mjs), and reading DOT/SVG structure for the CLI tests. */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = "test/cli/fixtures";
export const fixture = (name: string): string => `${FIXTURES}/${name}`;

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `graft ...args` from the repository root, as `npx graft` runs it. */
export function graft(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "bin/graft.mjs"), ...args],
      { cwd: ROOT, env: { ...process.env, GRAFT_PROGRESS: "0", ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Compares `actual` with a golden file; UPDATE_GOLDEN=1 rewrites it (review the diff). */
export function golden(name: string, actual: string): string {
  const file = path.join(ROOT, "test/cli/golden", name);
  if (process.env.UPDATE_GOLDEN === "1" || !fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
  }
  return fs.readFileSync(file, "utf8");
}

export interface DotNode {
  readonly id: string;
  readonly label: string;
  readonly cls: string;
  /** The cluster it is drawn in, if any. */
  readonly cluster?: string;
}

/** The nodes (with their cluster) and edges of a DOT graph written by ir/dot.ts. */
export function readDot(dot: string): { nodes: DotNode[]; edges: [string, string][]; clusters: string[] } {
  const nodes: DotNode[] = [];
  const edges: [string, string][] = [];
  const clusters: string[] = [];
  let cluster: string | undefined;
  for (const line of dot.split("\n")) {
    const c = line.match(/^\s*subgraph (cluster_\w+) \{/);
    if (c) {
      cluster = c[1];
      clusters.push(c[1]!);
      continue;
    }
    if (/^\s*\}\s*$/.test(line)) {
      cluster = undefined;
      continue;
    }
    const e = line.match(/^\s*(\w+) -> (\w+)/);
    if (e) {
      edges.push([e[1]!, e[2]!]);
      continue;
    }
    const n = line.match(/^\s*(\w+) \[label="((?:[^"\\]|\\.)*)", class="(\w+)"/);
    if (n) nodes.push({ id: n[1]!, label: n[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c)), cls: n[3]!, ...(cluster ? { cluster } : {}) });
  }
  return { nodes, edges, clusters };
}
