/** @file The `graft` command as a subprocess on the fixtures: dumps round-trip, pictures match the IR, gradcheck catches a wrong gradient, exit codes. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ir } from "../../src/index.js";
import type { Graph } from "../../src/ir/index.js";
import { decodeArray, type DumpInfo } from "../../src/runtime/index.js";
import { dotToSvg } from "../../src/cli/svg.js";
import { fixture, golden, graft, readDot, type Run } from "./helpers.js";

const MLP = fixture("mlp.ts");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "graft-cli-test-"));
const OUT = path.join(tmp, "out");
const ENVDUMP = path.join(tmp, "env");

// Every subprocess starts at once (each costs about a second of tsx start-up): the tests then read the results.
const runs = {
  text: () => graft(["dump", MLP, "--stage", "traced"]),
  out: () => graft(["dump", MLP, "--passes", "--out", OUT]),
  dot: () => graft(["dump", MLP, "--fn", "train_step", "--sig", "0", "--format", "dot"]),
  json: () => graft(["dump", MLP, "--fn", "loss", "--stage", "grad", "--format", "json"]),
  explain: () => graft(["explain", MLP, "--fn", "train_step"]),
  gradcheck: () => graft(["gradcheck", MLP]),
  wrongGrad: () => graft(["gradcheck", fixture("cjs/wrong-grad.ts")]),
  unknownFn: () => graft(["dump", MLP, "--fn", "nope"]),
  throws: () => graft(["dump", fixture("throws.ts")]),
  runExitCode: () => graft(["run", fixture("plain.ts"), "5", "--flag"]),
  nothing: () => graft(["explain", fixture("plain.ts")]),
  envDump: () => graft(["run", MLP], { GRAFT_DUMP: ENVDUMP, GRAFT_DUMP_PASSES: "1" }),
};
const r = {} as Record<keyof typeof runs, Run>;
beforeAll(async () => {
  const done = await Promise.all(Object.entries(runs).map(async ([k, f]) => [k, await f()] as const));
  for (const [k, v] of done) r[k as keyof typeof runs] = v;
}, 120_000);

const read = (f: string): string => fs.readFileSync(path.join(OUT, f), "utf8");
const infos = (): DumpInfo[] => fs.readdirSync(OUT).filter((f) => f.endsWith(".info.json")).sort().map((f) => JSON.parse(read(f)) as DumpInfo);
const graphOf = (info: DumpInfo, stage: "traced" | "grad" | "optimized" | "fused"): Graph => ir.fromJSON(read(info.stages[stage]!.json));

describe("graft dump", () => {
  it("prints the traced stage of every function (golden)", () => {
    expect(r.text.code, r.text.stderr).toBe(0);
    expect(r.text.stdout).toBe(golden("mlp-traced.txt", r.text.stdout));
    // the script's own output went to stderr, not into the dump
    expect(r.text.stderr).toContain("step 0: loss");
    expect(r.text.stdout).not.toContain("step 0: loss");
  });

  it("writes stable, sortable file names per function and trace", () => {
    expect(r.out.code, r.out.stderr).toBe(0);
    const files = fs.readdirSync(OUT).sort();
    // loss traced once, train_step twice (a new batch size), in trace order
    expect(infos().map((i) => `${i.fn}.s${i.sig}`)).toEqual(["loss.s0", "train_step.s0", "train_step.s1"]);
    for (const prefix of ["loss.s00.", "train_step.s00.", "train_step.s01."]) {
      const mine = files.filter((f) => f.startsWith(prefix));
      expect(mine).toContain(`${prefix}00-reason.txt`);
      expect(mine).toContain(`${prefix}01-traced.ir`);
      expect(mine).toContain(`${prefix}02-grad.ir`);
      expect(mine).toContain(`${prefix}info.json`);
      expect(mine).toContain(`${prefix}inputs.json`);
      expect(mine.filter((f) => /\.05-source-\w+\.\w+$/.test(f)).length).toBe(1);
    }
    // the CLI printed what it wrote
    expect(r.out.stdout.trim().split("\n").map((f) => path.basename(f))).toEqual(files);
  });

  it("says why each trace happened", () => {
    const [, first, second] = infos();
    expect(first!.reason).toBe("first call");
    expect(second!.reason).toBe("tensor argument 0: f32[4,3] -> f32[1,3]; tensor argument 1: f32[4,2] -> f32[1,2] (new signature [T,T]|f32[1,3],f32[1,2])");
    expect(read("train_step.s01.00-reason.txt")).toContain("input 0:   f32[1,3]");
    expect(read("train_step.s01.00-reason.txt")).toContain('state:     "w" f32[3,2]');
  });

  it("dump files round-trip through ir.parse and ir.fromJSON", () => {
    let checked = 0;
    for (const info of infos()) {
      for (const stage of ["traced", "grad", "optimized", "fused"] as const) {
        const s = info.stages[stage];
        if (!s) continue;
        const text = read(s.ir).trimEnd();
        expect(ir.print(ir.parse(text))).toBe(text);
        expect(ir.print(ir.fromJSON(read(s.json)))).toBe(text);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it("--passes dumps the graph after every pass; the last one is the final stage", () => {
    for (const info of infos()) {
      const stages = (["traced", "grad", "optimized", "fused"] as const).filter((s) => info.stages[s]);
      if (stages.length <= 2) continue; // no passes in this pipeline
      expect(info.afterPass.length, info.prefix).toBeGreaterThan(0);
      expect(info.afterPass.every((f, i) => f.startsWith(`${info.prefix}02-grad.p${String(i + 1).padStart(2, "0")}-`))).toBe(true);
      for (const f of info.afterPass) expect(ir.print(ir.parse(read(f).trimEnd()))).toBe(read(f).trimEnd());
      expect(read(info.afterPass.at(-1)!)).toBe(read(info.stages[stages.at(-1)!]!.ir));
      // the pass log names them in the same order
      const log = read(info.passes).split("\n\n")[0]!.split("\n").slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0]);
      expect(info.afterPass.map((f) => f.replace(/^.*\.p\d+-(.*)\.ir$/, "$1"))).toEqual(log);
    }
  });

  it("saves the example inputs and state each trace was made for", () => {
    const [, first, second] = infos();
    const saved = JSON.parse(read(first!.inputs));
    const x = decodeArray(saved.inputs[0]);
    expect(x.shape).toEqual([4, 3]);
    expect([...x.data]).toEqual([1, 2, 3, 0.5, -1, 0, 0, 0, 1, -2, 1, 0.25]);
    expect(saved.state.map((s: { name: string }) => s.name)).toEqual(["w", "b"]);
    expect([...decodeArray(saved.state[1]).data].map((v) => +v.toFixed(6))).toEqual([0.1, -0.2]);
    // the second trace came after three SGD steps: its state is the trained one
    const later = JSON.parse(read(second!.inputs));
    expect([...decodeArray(later.state[1]).data]).not.toEqual([...decodeArray(saved.state[1]).data]);
  });

  it("--format dot draws every node of the last stage, fused kernels as clusters", () => {
    expect(r.dot.code, r.dot.stderr).toBe(0);
    const info = infos().find((i) => i.fn === "train_step" && i.sig === 0)!;
    const last = (["fused", "optimized", "grad", "traced"] as const).find((s) => info.stages[s])!;
    expect(r.dot.stdout).toBe(read(info.stages[last]!.dot));
    const g = graphOf(info, last);
    const dot = readDot(r.dot.stdout);
    const regions = g.nodes.filter((n) => n.body);
    expect(dot.clusters.length).toBe(regions.length);
    // plain nodes: one DOT node each, labelled with op and type, outside any cluster
    const plain = dot.nodes.filter((n) => !n.cluster && ["op", "grad", "const"].includes(n.cls));
    expect(plain.map((n) => n.label.split("\n")[0]!.split(" = ").pop()!.split(" ")[0])).toEqual(g.nodes.filter((n) => !n.body).map((n) => n.op));
    // each region: a cluster whose members are its body's ops, in order, with their types
    regions.forEach((n, k) => {
      const members = dot.nodes.filter((d) => d.cluster === `cluster_k${k}`);
      expect(members.map((d) => d.label.split("\n")[0]!.split(" = ").pop()!.split(" ")[0])).toEqual(n.body!.nodes.map((b) => b.op));
      members.forEach((d, j) => expect(d.label.split("\n")[1]).toBe(n.body!.nodes[j]!.outputs.map((o) => ir.typeStr(o.type)).join(", ")));
    });
    expect(dot.nodes.filter((d) => d.cls === "input").length).toBe(g.inputs.length);
    expect(dot.nodes.filter((d) => d.cls === "state").map((d) => d.label.split("\n")[0])).toEqual(["w", "b"]);
    expect(dot.nodes.filter((d) => d.cls === "assign").map((d) => d.label)).toEqual(["assign w", "assign b"]);
    // autodiff's nodes are marked; the forward matmul is not, the gradient's transposed matmul is
    const matmuls = dot.nodes.filter((d) => d.label.includes("matmul "));
    expect(matmuls.find((d) => d.label.includes("transposeA=false transposeB=false"))!.cls).toBe("op");
    expect(matmuls.filter((d) => d.cls === "grad").length).toBeGreaterThan(0);
    // every edge joins drawn nodes
    const ids = new Set(dot.nodes.map((d) => d.id));
    for (const [a, b] of dot.edges) expect(ids.has(a) && ids.has(b), `${a} -> ${b}`).toBe(true);
  });

  it("SVG (what --format svg prints) renders that graph with Graphviz compiled to wasm", async () => {
    const svg = await dotToSvg(r.dot.stdout);
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    const dot = readDot(r.dot.stdout);
    const titles = [...svg.matchAll(/<g id="node\d+" class="node (\w+)">\s*<title>(\w+)<\/title>/g)].map((m) => [m[2]!, m[1]!] as const);
    expect(new Map(titles)).toEqual(new Map(dot.nodes.map((d) => [d.id, d.cls])));
    expect([...svg.matchAll(/class="cluster kernel"/g)].length).toBe(dot.clusters.length);
  });

  it("--format json prints one graft-ir document that ir.fromJSON reads", () => {
    expect(r.json.code, r.json.stderr).toBe(0);
    const info = infos().find((i) => i.fn === "loss")!;
    expect(ir.print(ir.fromJSON(r.json.stdout))).toBe(read(info.stages.grad!.ir).trimEnd());
  });

  it("GRAFT_DUMP=<dir> under graft run writes the same dump", () => {
    expect(r.envDump.code, r.envDump.stderr).toBe(0);
    expect(r.envDump.stdout).toContain("step 2: loss");
    const files = fs.readdirSync(ENVDUMP).sort();
    expect(files).toEqual(fs.readdirSync(OUT).sort());
    expect(fs.readFileSync(path.join(ENVDUMP, "loss.s00.01-traced.ir"), "utf8")).toBe(read("loss.s00.01-traced.ir"));
  });
});

describe("graft explain", () => {
  it("prints why it traced, node counts, kernels, fusion decisions and the memory plan", () => {
    expect(r.explain.code, r.explain.stderr).toBe(0);
    const out = r.explain.stdout;
    expect(out).toContain("== train_step #0");
    expect(out).toContain("== train_step #1");
    expect(out).not.toContain("== loss");
    expect(out).toContain("traced: first call");
    expect(out).toMatch(/nodes: traced \d+, grad \d+/);
    expect(out).toContain("fusion decisions:");
    expect(out).toContain("memory plan:");
    // the peak, in bytes, for every trace; per-value placements only with --verbose
    expect([...out.matchAll(/^  peak bytes: \d+$/gm)].length).toBe(2);
    expect(out).not.toMatch(/^\s+%\d+: f32\[[\d,]*\]\s+\S+\s+-> /m);
    const info = infos().find((i) => i.fn === "train_step" && i.sig === 0)!;
    if (info.stages.fused) {
      const regions = graphOf(info, "fused").nodes.filter((n) => n.body);
      const first = out.split("== train_step #1")[0]!;
      expect(first).toContain(`fused kernels: ${regions.length}`);
      regions.forEach((n, k) => expect(first).toContain(`kernel ${k} ${String(n.attrs.name)} (${String(n.attrs.kind)}): ${n.body!.nodes.length} ops`));
    }
  });
});

describe("graft gradcheck", () => {
  it("checks every input and variable of every trace and passes on correct gradients", () => {
    expect(r.gradcheck.code, r.gradcheck.stderr + r.gradcheck.stdout).toBe(0);
    const rows = r.gradcheck.stdout.split("\n").filter((l) => /^(loss|train_step)\s/.test(l));
    // loss: 2 inputs + w + b; train_step: the same, for each of its two traces
    expect(rows.length).toBe(12);
    for (const row of rows) {
      const [abs, rel] = row.match(/\s(\S+)\s+(\S+)\s+ok$/)!.slice(1).map(Number);
      expect(abs!).toBeLessThan(1e-6);
      expect(rel!).toBeLessThan(1e-3);
    }
    expect(r.gradcheck.stdout).toContain("all 12 checks passed");
  });

  it("fails with exit code 1 on a wrong custom gradient, with the report", () => {
    expect(r.wrongGrad.code).toBe(1);
    const out = r.wrongGrad.stdout;
    expect(out).toMatch(/^right\s+#0\s+input 0 f32\[3\]\s+\S+\s+\S+\s+ok$/m);
    // d/dx x^2 = 2x, the fixture says 3x: the worst entry (x=3) is off by 3
    expect(out).toMatch(/^wrong\s+#0\s+input 0 f32\[3\]\s+3\.00e\+0\s+5\.00e-1\s+FAIL$/m);
    expect(out).toContain("analytic 9   numeric 6.0000");
    expect(out).toContain("1 of 2 checks failed");
  });
});

describe("errors and exit codes", () => {
  it("an unknown function lists the compiled ones (exit 2)", () => {
    expect(r.unknownFn.code).toBe(2);
    expect(r.unknownFn.stderr).toContain("unknown function 'nope' (the script compiled: loss, train_step)");
  });

  it("a failing script exits 3 with its own error and line, not graft's runner frames", () => {
    expect(r.throws.code).toBe(3);
    expect(r.throws.stderr).toContain("fixture failure on purpose");
    expect(r.throws.stderr).toContain("throws.ts:6");
    expect(r.throws.stderr).not.toContain("src/cli/");
  });

  it("graft run passes arguments through and keeps the script's exit code", () => {
    expect(r.runExitCode.code).toBe(5);
    expect(r.runExitCode.stdout).toContain("args: 5 --flag");
  });

  it("a script that compiles nothing is a usage error (exit 2)", () => {
    expect(r.nothing.code).toBe(2);
    expect(r.nothing.stderr).toContain("compiled no functions");
  });
});
