/** @file docs/ops.md is what the op registry says now: regenerate it with `npm run docs:ops` when an op changes. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { opReference } from "../scripts/op-reference.js";
import { OP_NAMES } from "../src/ir/index.js";

describe("op reference", () => {
  it("docs/ops.md is current (npm run docs:ops regenerates it)", () => {
    const onDisk = readFileSync(path.resolve(__dirname, "../docs/ops.md"), "utf8");
    expect(onDisk, "docs/ops.md is stale: run `npm run docs:ops`").toBe(opReference());
  });
  it("lists every op once", () => {
    const rows = opReference().split("\n").filter((l) => l.startsWith("| `"));
    expect(rows.map((r) => r.slice(3, r.indexOf("`", 3))).sort()).toEqual([...OP_NAMES].sort());
  });
});
