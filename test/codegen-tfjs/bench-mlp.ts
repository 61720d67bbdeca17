/** @file Script (not a test): the reference MLP step through graft on tfjs vs TensorFlow.js's own optimizer.minimize and jax-js jit.
 *
 * npx tsx test/codegen-tfjs/bench-mlp.ts [rounds]
 * Prints the median ms per step of each contender (interleaved rounds after warm-up) and the ratios.
 */
import * as tf from "@tensorflow/tfjs";
import { initTfjs } from "../../src/index.js";
import { MLP_FULL } from "../../bench/data.js";
import { mlpCase, mlpPeers } from "../../bench/peers/mlp.js";
import { useBackend } from "../../bench/peers/tfjs-env.js";
import { compileMlp, makeMlp } from "./mlp.js";

const rounds = Number(process.argv[2] ?? 15);
const c = mlpCase(MLP_FULL);
const { sizes, batch } = MLP_FULL;
const classes = sizes[sizes.length - 1]!;

interface Runner {
  name: string;
  before?: () => Promise<void> | void;
  run: () => Promise<unknown> | unknown;
}

async function graftRunner(name: string, tfjsBackend: "cpu" | "wasm", extra: Record<string, unknown> = {}, graftInputs = false): Promise<Runner> {
  await initTfjs(tfjsBackend);
  const m = makeMlp(sizes, 1, c.init);
  const step = compileMlp(m, classes, { backend: "tfjs", tfjsBackend, ...extra });
  await useBackend(tfjsBackend);
  // tfjs tensors go in without a copy; graft tensors are uploaded every step
  const x = tf.tensor2d(c.batch.x, [batch, sizes[0]!]);
  const y = tf.tensor1d(c.batch.y, "int32");
  const { tensor } = await import("../../src/index.js");
  const gx = tensor(c.batch.x, [batch, sizes[0]!]);
  const gy = tensor(c.batch.y, [batch], "i32");
  const first = (graftInputs ? step(gx, gy) : step(x as never, y as never)).item();
  console.log(`${name}: first-step loss ${first.toFixed(6)}`);
  return { name, before: () => useBackend(tfjsBackend), run: () => (graftInputs ? step(gx, gy) : step(x as never, y as never)).item() };
}

async function peerRunner(name: string): Promise<Runner> {
  const p = mlpPeers(c).find((q) => q.name === name);
  if (!p) throw new Error(`no peer ${name}`);
  const inst = await p.setup();
  const r = await inst.result();
  console.log(`${name}: first-step loss ${r[0]?.toFixed(6)}`);
  return { name, ...(inst.beforeRun ? { before: () => inst.beforeRun!() } : {}), run: () => inst.run() };
}

const runners: Runner[] = [];
runners.push(await peerRunner("tfjs wasm"));
runners.push(await graftRunner("graft tfjs-wasm", "wasm"));
runners.push(await graftRunner("graft tfjs-wasm (graft tensor inputs)", "wasm", {}, true));
runners.push(await graftRunner("graft tfjs-wasm (transpose flags, as tfjs)", "wasm", { tfjsMatmulLayout: "flags" }));
if (process.env.BENCH_JAX !== "0") {
  try {
    runners.push(await peerRunner("jax-js wasm"));
  } catch (e) {
    console.log(`jax-js wasm: skipped (${String(e)})`);
  }
}
if (process.env.BENCH_CPU === "1") {
  runners.push(await peerRunner("tfjs cpu"));
  runners.push(await graftRunner("graft tfjs-cpu", "cpu"));
}

const samples = new Map<string, number[]>(runners.map((r) => [r.name, []]));
for (let round = -2; round < rounds; round++) {
  for (const r of runners) {
    await r.before?.();
    const t0 = performance.now();
    await r.run();
    const dt = performance.now() - t0;
    if (round >= 0) samples.get(r.name)!.push(dt);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const min = (xs: number[]) => Math.min(...xs);
const base = samples.get("tfjs wasm")!;
console.log(`\nMLP ${sizes.join("-")} batch ${batch}, Adam; ${rounds} interleaved rounds (ms/step: median, min; ratio tfjs-wasm/this on each)`);
for (const r of runners) {
  const xs = samples.get(r.name)!;
  const [md, mn] = [median(xs), min(xs)];
  console.log(`${r.name.padEnd(44)} ${md.toFixed(2).padStart(9)} ${mn.toFixed(2).padStart(9)}   ${(median(base) / md).toFixed(2)}x ${(min(base) / mn).toFixed(2)}x`);
}

// the layout claim in isolation: dW = H^T dZ on wasm, flag vs explicit transpose
await useBackend("wasm");
const h = tf.randomNormal([128, 784]);
const dz = tf.randomNormal([128, 256]);
const time = (f: () => tf.Tensor) => {
  for (let i = 0; i < 3; i++) f().dispose();
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) f().dataSync();
  return (performance.now() - t0) / 10;
};
const flag = time(() => tf.matMul(h, dz, true, false));
const explicit = time(() => tf.tidy(() => tf.matMul(tf.transpose(h), dz)));
console.log(`\nwasm [784x128]^T [128x256]: transposeA flag ${flag.toFixed(2)} ms, explicit transpose + matMul ${explicit.toFixed(2)} ms (${(flag / explicit).toFixed(1)}x)`);
