/** @file Early release in generated tfjs programs: intermediates are disposed at their last use, so a step's peak holds only what is live. */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { fn, initTfjs, type Tensor } from "../../src/index.js";
import { releaseDead } from "../../src/codegen/tfjs/release.js";

beforeAll(() => initTfjs("wasm"));

describe("releaseDead", () => {
  const lines = [
    "    const v1 = tf.exp(in0); // \"model.ts:3 v2\"",
    "    const v2 = tf.mul(v1, k0);",
    "    // fusion \"v1\" (a comment never counts as a use)",
    "    const v3 = tf.add(v2, v1);",
    "    const v4 = tf.neg(v3);",
    "    const v5 = tf.sin(in0);",
  ];
  const out = releaseDead(lines, new Set(["v1", "v2", "v3", "v4", "v5"]), new Set(["v4"]));

  it("disposes each tensor the step made right after its last use, never a kept one or an external one", () => {
    expect(out).toEqual([
      lines[0], lines[1], lines[2], lines[3],
      "    tf.dispose([v1, v2]); // last use",
      lines[4],
      "    tf.dispose([v3]); // last use",
      lines[5],
      "    tf.dispose([v5]); // last use",
    ]);
  });
});

describe.each(["cpu", "wasm"] as const)("tfjs %s: a step's peak memory", (backend) => {
  // twelve unfusable-on-tfjs ops in a chain: tidy alone would hold all twelve [4096] tensors at once
  const chain = (x: Tensor): Tensor => x.exp().sin().cos().tanh().sigmoid().square().neg().abs().add(1).sqrt().log().mul(3);
  const tfChain = (x: tf.Tensor): tf.Tensor =>
    tf.tidy(() => {
      const fs: ((t: tf.Tensor) => tf.Tensor)[] = [tf.exp, tf.sin, tf.cos, tf.tanh, tf.sigmoid, tf.square, tf.neg, tf.abs, (t) => tf.add(t, 1), tf.sqrt, tf.log, (t) => tf.mul(t, 3)];
      return fs.reduce((t, f) => f(t), x);
    });

  it("holds only a few intermediates at once, and the result is tfjs's own", async () => {
    await tf.setBackend(backend);
    const x = tf.randomUniform([4096], -1, 1);
    const step = fn(chain, { backend: "tfjs", tfjsBackend: backend, outputs: "tfjs" });
    (step(x as never) as unknown as tf.Tensor).dispose();
    const before = tf.memory().numBytes;
    let y: tf.Tensor | undefined;
    const prof = await tf.profile(() => {
      y = step(x as never) as unknown as tf.Tensor;
    });
    const bytes = 4096 * 4;
    // the output plus at most two intermediates alive at once (without release: twelve)
    expect(prof.peakBytes - before).toBeLessThanOrEqual(3 * bytes);
    expect(step.source()).toContain("tf.dispose([");
    const want = tfChain(x);
    const got = y!.dataSync(), ref = want.dataSync();
    ref.forEach((r, i) => expect(Math.abs(got[i]! - r)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(r))));
    tf.dispose([x, y!, want]);
  });
});
