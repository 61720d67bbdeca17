/** @file W3 peers: tanh(x*0.5+0.1)*x + relu(x-0.2)*0.3, then mean over the last axis. */
import { blockUntilReady, jit, nn, numpy as np } from "@jax-js/jax";
import type { Contender, Instance } from "../harness.js";
import { useJaxWasm } from "./jax-env.js";
import { noDataMoves, tf, type TfBackend, useBackend } from "./tfjs-env.js";

export interface ElementwiseCase {
  rows: number;
  cols: number;
  /** [rows, cols] row-major, uniform in [-2, 2) */
  x: Float32Array;
}

function jsContender(c: ElementwiseCase): Contender {
  const compute = (out: Float32Array) => {
    const { rows, cols, x } = c;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      const o = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = x[o + j];
        const r = v - 0.2;
        s += Math.tanh(v * 0.5 + 0.1) * v + (r > 0 ? r : 0) * 0.3;
      }
      out[i] = s / cols;
    }
  };
  return {
    name: "plain JS",
    engine: "js",
    note: "one fused loop per row, f64 accumulator, Math.tanh",
    async setup(): Promise<Instance> {
      const out = new Float32Array(c.rows);
      return {
        run: () => compute(out),
        result: () => {
          compute(out);
          return [...out];
        },
      };
    },
  };
}

function tfContender(c: ElementwiseCase, backend: TfBackend): Contender {
  return {
    name: `tfjs ${backend}`,
    engine: backend === "wasm" ? "wasm" : "js",
    note: "eager ops inside tf.tidy (8 kernels + mean)",
    async setup(): Promise<Instance> {
      await useBackend(backend);
      const x = tf.tensor2d(c.x, [c.rows, c.cols]);
      const compute = () =>
        tf.tidy(() =>
          tf.mean(
            tf.add(tf.mul(tf.tanh(tf.add(tf.mul(x, 0.5), 0.1)), x), tf.mul(tf.relu(tf.sub(x, 0.2)), 0.3)),
            -1,
          ),
        );
      return {
        beforeRun: () => useBackend(backend),
        run: () => noDataMoves(() => compute().dispose()),
        result: () => {
          const y = compute();
          const out = [...y.dataSync()];
          y.dispose();
          return out;
        },
        dispose: () => x.dispose(),
      };
    },
  };
}

function jaxContender(c: ElementwiseCase): Contender {
  return {
    name: "jax-js wasm",
    engine: "wasm",
    note: "jit of the whole expression",
    async setup(): Promise<Instance> {
      await useJaxWasm();
      const f = jit((x: np.Array) => {
        const a = np.tanh(x.ref.mul(0.5).add(0.1)).mul(x.ref);
        const b = nn.relu(x.sub(0.2)).mul(0.3);
        return a.add(b).mean(-1);
      });
      const x = np.array(c.x).reshape([c.rows, c.cols]);
      return {
        run: async () => {
          const y = f(x.ref);
          await blockUntilReady(y);
          y.dispose();
        },
        result: async () => [...(await f(x.ref).data())],
        dispose: () => {
          x.dispose();
          f.dispose();
        },
      };
    },
  };
}

export function elementwisePeers(c: ElementwiseCase): Contender[] {
  return [jsContender(c), tfContender(c, "cpu"), tfContender(c, "wasm"), jaxContender(c)];
}
