/** @file Our gradients (traced, grad stage, interp backend) against TensorFlow.js's own `tf.grads` on random inputs. */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { fn, gradients, type Tensor } from "../../src/index.js";
import { GRAD_CASES, rand } from "./cases.js";

tf.setBackend("cpu");
const isF = (t: Tensor) => t.dtype === "f32" || t.dtype === "f64";
const toTf = (t: Tensor) => tf.tensor(Array.from(t.dataSync()), t.shape, t.dtype === "i32" ? "int32" : t.dtype === "bool" ? "bool" : "float32");

const rows = Object.entries(GRAD_CASES).flatMap(([op, cases]) => cases!.filter((c) => c.tf).map((c) => [`${op}: ${c.name}`, c] as const));

describe("gradients agree with tf.grads", () => {
  it("covers the ops tfjs can differentiate", () => {
    expect(new Set(rows.map(([n]) => n.split(":")[0])).size).toBeGreaterThanOrEqual(33);
  });

  it.each(rows)("%s", (_name, c) => {
    const args = c.args();
    const dy = rand(c.f(...args).shape, -1, 1); // a random cotangent, not just ones
    const step = fn((...xs: Tensor[]) => gradients(c.f(...xs).mul(dy).sum(), xs.filter(isF)), { backend: "interp" });
    const ours = step(...args) as Tensor[];
    const floatPos = args.map((a, i) => (isF(a) ? i : -1)).filter((i) => i >= 0);
    const theirs = tf.tidy(() => {
      const tfArgs = args.map(toTf);
      const f = (...fs: tf.Tensor[]) => c.tf!(...tfArgs.map((t, i) => (floatPos.includes(i) ? fs[floatPos.indexOf(i)]! : t)));
      return tf.grads(f)(floatPos.map((i) => tfArgs[i]!), toTf(dy)).map((g) => ({ shape: g.shape, data: Array.from(g.dataSync()) }));
    });
    expect(ours.map((g) => g.shape)).toEqual(theirs.map((g) => g.shape));
    ours.forEach((g, k) => {
      const want = theirs[k]!.data;
      Array.from(g.dataSync()).forEach((v, i) => expect(Math.abs(v - want[i]!), `${c.name}: input ${floatPos[k]} element ${i}: ours ${v}, tfjs ${want[i]}`).toBeLessThanOrEqual(2e-5 + 2e-4 * Math.abs(want[i]!)));
    });
  });
});
