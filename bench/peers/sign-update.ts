/** @file W2 peers: the sign-agreement optimizer update on n parameters (plain JS, tfjs, jax-js). */
import { blockUntilReady, jit, numpy as np } from "@jax-js/jax";
import type { Contender, Instance } from "../harness.js";
import { type SignUpdateData, signUpdateSummary } from "../data.js";
import { useJaxWasm } from "./jax-env.js";
import { noDataMoves, tf, type TfBackend, useBackend } from "./tfjs-env.js";

/*
 * Per element, not the first step:
 *   m = var - lr*grad;  new = grad*pg >= 0 ? m : (pv + var)/2;  pv = var;  pg = grad;  var = new
 * Timed runs alternate between two gradients, so the agreement branch is data dependent (about
 * half the elements each way) instead of always true. result() starts from the initial state and
 * applies one update with grads[0].
 */

/**
 * Minimum traffic per element: read var, pv, pg, grad and write the new var (f32). pv and pg need
 * no traffic when they can take over the old var and grad buffers, as tfjs, jax-js and the
 * "swap" loop do; the in-place loop also writes pv and pg (28 bytes).
 */
export const SIGN_UPDATE_BYTES_PER_ELEMENT = 5 * 4;

interface JsState {
  v: Float32Array;
  pv: Float32Array;
  pg: Float32Array;
}

function freshJs(d: SignUpdateData): JsState {
  return { v: d.v.slice(), pv: d.pv.slice(), pg: d.pg.slice() };
}

/** In place: the optimizer owns three state arrays and overwrites them. */
function updateInPlace(s: JsState, g: Float32Array, lr: number): void {
  const { v, pv, pg } = s;
  for (let i = 0; i < v.length; i++) {
    const vi = v[i];
    const gi = g[i];
    const m = vi - lr * gi;
    v[i] = gi * pg[i] >= 0 ? m : (pv[i] + vi) * 0.5;
    pv[i] = vi;
    pg[i] = gi;
  }
}

/** Buffer swap: the new var goes into the dead pv buffer; pv takes the old var, pg the gradient. */
function updateSwap(s: JsState, g: Float32Array, lr: number): void {
  const { v, pv, pg } = s;
  const out = pv;
  for (let i = 0; i < v.length; i++) {
    const vi = v[i];
    const gi = g[i];
    const m = vi - lr * gi;
    out[i] = gi * pg[i] >= 0 ? m : (pv[i] + vi) * 0.5;
  }
  s.pv = v;
  s.v = out;
  s.pg = g; // gradients are not mutated afterwards here, as with tfjs tensors and jax arrays
}

function jsContender(d: SignUpdateData, name: string, update: typeof updateInPlace, note: string): Contender {
  return {
    name,
    engine: "js",
    note,
    async setup(): Promise<Instance> {
      const live = freshJs(d);
      let k = 0;
      return {
        run: () => update(live, d.grads[k++ & 1], d.lr),
        result: () => {
          const s = freshJs(d);
          update(s, d.grads[0], d.lr);
          return signUpdateSummary(s.v, s.pv);
        },
      };
    },
  };
}

function tfContender(d: SignUpdateData, backend: TfBackend): Contender {
  return {
    name: `tfjs ${backend}`,
    engine: backend === "wasm" ? "wasm" : "js",
    note: "eager ops: sub, mul, greaterEqual, where, add inside tf.tidy",
    async setup(): Promise<Instance> {
      await useBackend(backend);
      const grads = d.grads.map((g) => tf.tensor1d(g));
      interface S { v: tf.Tensor; pv: tf.Tensor; pg: tf.Tensor; pgOwned: boolean }
      const fresh = (): S => ({ v: tf.tensor1d(d.v), pv: tf.tensor1d(d.pv), pg: tf.tensor1d(d.pg), pgOwned: true });
      const step = (s: S, g: tf.Tensor) => {
        const next = tf.tidy(() => {
          const m = tf.sub(s.v, tf.mul(d.lr, g));
          const agree = tf.greaterEqual(tf.mul(g, s.pg), 0);
          return tf.where(agree, m, tf.mul(tf.add(s.pv, s.v), 0.5));
        });
        s.pv.dispose();
        if (s.pgOwned) s.pg.dispose();
        s.pv = s.v;
        s.pg = g; // the caller's gradient tensor: no copy, not ours to dispose
        s.pgOwned = false;
        s.v = next;
      };
      const free = (s: S) => {
        s.v.dispose();
        s.pv.dispose();
        if (s.pgOwned) s.pg.dispose();
      };
      const live = fresh();
      let k = 0;
      return {
        beforeRun: () => useBackend(backend),
        run: () => noDataMoves(() => step(live, grads[k++ & 1])),
        result: () => {
          const s = fresh();
          step(s, grads[0]);
          const out = signUpdateSummary(s.v.dataSync(), s.pv.dataSync());
          free(s);
          return out;
        },
        dispose: () => {
          free(live);
          for (const g of grads) g.dispose();
        },
      };
    },
  };
}

function jaxContender(d: SignUpdateData): Contender {
  return {
    name: "jax-js wasm",
    engine: "wasm",
    note: "jit of the update; state arrays passed in and returned",
    async setup(): Promise<Instance> {
      await useJaxWasm();
      const lr = d.lr;
      const update = jit((v: np.Array, pv: np.Array, pg: np.Array, g: np.Array) => {
        const m = v.ref.sub(g.ref.mul(lr));
        const agree = g.ref.mul(pg).greaterEqual(0);
        const next = np.where(agree, m, pv.add(v.ref).mul(0.5));
        return [next, v, g] as [np.Array, np.Array, np.Array];
      });
      const grads = d.grads.map((g) => np.array(g));
      const fresh = () => ({ v: np.array(d.v), pv: np.array(d.pv), pg: np.array(d.pg) });
      const step = async (s: { v: np.Array; pv: np.Array; pg: np.Array }, g: np.Array) => {
        const [v, pv, pg] = update(s.v, s.pv, s.pg, g.ref);
        s.v = v;
        s.pv = pv;
        s.pg = pg;
        await blockUntilReady([v, pv, pg]);
      };
      const live = fresh();
      let k = 0;
      return {
        run: () => step(live, grads[k++ & 1]),
        result: async () => {
          const s = fresh();
          await step(s, grads[0]);
          const out = signUpdateSummary(await s.v.data(), await s.pv.data());
          s.pg.dispose();
          return out;
        },
        dispose: () => {
          live.v.dispose();
          live.pv.dispose();
          live.pg.dispose();
          for (const g of grads) g.dispose();
          update.dispose();
        },
      };
    },
  };
}

export function signUpdatePeers(d: SignUpdateData): Contender[] {
  return [
    jsContender(d, "plain JS", updateInPlace, "one fused loop, state updated in place (writes var, pv, pg)"),
    jsContender(d, "plain JS swap", updateSwap, "one fused loop writing only the new var; pv/pg take over buffers"),
    tfContender(d, "cpu"),
    tfContender(d, "wasm"),
    jaxContender(d),
  ];
}
