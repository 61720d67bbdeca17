/** @file W4 peers: square f32 matmul (plain JS, tfjs cpu/wasm, jax-js), and the tfjs-wasm transpose trap. */
import { blockUntilReady, jit, numpy as np } from "@jax-js/jax";
import type { Contender, Instance } from "../harness.js";
import { uniform } from "../data.js";
import { useJaxWasm } from "./jax-env.js";
import { matmulBlocked } from "./js-kernels.js";
import { noDataMoves, tf, type TfBackend, useBackend } from "./tfjs-env.js";

export interface MatmulCase {
  n: number;
  a: Float32Array;
  b: Float32Array;
}

export function matmulCase(n: number): MatmulCase {
  return { n, a: uniform(n * n, -1, 1, 100 + n), b: uniform(n * n, -1, 1, 200 + n) };
}

function jsContender(c: MatmulCase): Contender {
  return {
    name: "plain JS blocked",
    engine: "js",
    note: "2x4 register tile, packed 256x4 B panel",
    async setup(): Promise<Instance> {
      const out = new Float32Array(c.n * c.n);
      const scratch = new Float32Array(256 * 4);
      const run = () => matmulBlocked(c.n, c.n, c.n, c.a, c.b, out, scratch);
      return {
        run,
        result: () => {
          run();
          return [...out];
        },
      };
    },
  };
}

function tfContender(c: MatmulCase, backend: TfBackend): Contender {
  return {
    name: `tfjs ${backend}`,
    engine: backend === "wasm" ? "wasm" : "js",
    async setup(): Promise<Instance> {
      await useBackend(backend);
      const a = tf.tensor2d(c.a, [c.n, c.n]);
      const b = tf.tensor2d(c.b, [c.n, c.n]);
      return {
        beforeRun: () => useBackend(backend),
        run: () => noDataMoves(() => tf.matMul(a, b).dispose()),
        result: () => {
          const y = tf.matMul(a, b);
          const out = [...y.dataSync()];
          y.dispose();
          return out;
        },
        dispose: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
  };
}

function jaxContender(c: MatmulCase): Contender {
  return {
    name: "jax-js wasm",
    engine: "wasm",
    note: "jit(np.matmul)",
    async setup(): Promise<Instance> {
      await useJaxWasm();
      const f = jit((a: np.Array, b: np.Array) => np.matmul(a, b));
      const a = np.array(c.a).reshape([c.n, c.n]);
      const b = np.array(c.b).reshape([c.n, c.n]);
      return {
        run: async () => {
          const y = f(a.ref, b.ref);
          await blockUntilReady(y);
          y.dispose();
        },
        result: async () => [...(await f(a.ref, b.ref).data())],
        dispose: () => {
          a.dispose();
          b.dispose();
          f.dispose();
        },
      };
    },
  };
}

export function matmulPeers(c: MatmulCase, opts: { skipTfCpu?: string } = {}): Contender[] {
  const peers = [jsContender(c), tfContender(c, "cpu"), tfContender(c, "wasm"), jaxContender(c)];
  if (opts.skipTfCpu) {
    // Keep the row visible in the report, with the reason, instead of silently dropping it.
    const reason = opts.skipTfCpu;
    peers[1] = { ...peers[1], setup: () => Promise.reject(new Error(reason)) };
  }
  return peers;
}

/**
 * The trap: tfjs-wasm matMul with transposeA/transposeB is far slower than transposing explicitly
 * and calling the plain matMul. Every contender computes a @ bt^T; the transposed copies at = a^T
 * and b = bt^T are made in setup (untimed).
 */
export function matmulTransposeTrapPeers(c: MatmulCase, backend: TfBackend = "wasm"): Contender[] {
  type Ins = { a: tf.Tensor2D; at: tf.Tensor2D; b: tf.Tensor2D; bt: tf.Tensor2D };
  const make = (name: string, f: (t: Ins) => tf.Tensor): Contender => ({
    name,
    engine: backend === "wasm" ? "wasm" : "js",
    async setup(): Promise<Instance> {
      await useBackend(backend);
      const a = tf.tensor2d(c.a, [c.n, c.n]);
      const bt = tf.tensor2d(c.b, [c.n, c.n]);
      const ins: Ins = { a, bt, at: tf.transpose(a), b: tf.transpose(bt) };
      const once = () => tf.tidy(() => f(ins));
      return {
        beforeRun: () => useBackend(backend),
        run: () => noDataMoves(() => once().dispose()),
        result: () => {
          const y = once();
          const out = [...y.dataSync()];
          y.dispose();
          return out;
        },
        dispose: () => Object.values(ins).forEach((t) => t.dispose()),
      };
    },
  });
  return [
    make(`tfjs ${backend} transpose+matMul`, (t) => tf.matMul(t.a, tf.transpose(t.bt))),
    make(`tfjs ${backend} matMul(a,b,false,true)`, (t) => tf.matMul(t.a, t.bt, false, true)),
    make(`tfjs ${backend} matMul(a,b,true,false)`, (t) => tf.matMul(t.at, t.b, true, false)),
  ];
}
