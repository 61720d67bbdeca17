/** @file W1 peers: one MLP training step (relu MLP, softmax cross-entropy, Adam) in plain JS, tfjs and jax-js. */
import { blockUntilReady, jit, nn, numpy as np, tree, valueAndGrad } from "@jax-js/jax";
import type { Contender, Instance } from "../harness.js";
import {
  ADAM,
  type Batch,
  interleaveParams,
  type MlpParams,
  type MlpShape,
  mlpBatch,
  mlpInit,
  mlpSummary,
  mlpWeightShapes,
} from "../data.js";
import { useJaxWasm } from "./jax-env.js";
import { matmulBlocked, matmulIkj, type MatmulKernel, transpose } from "./js-kernels.js";
import { noDataMoves, tf, type TfBackend, useBackend } from "./tfjs-env.js";

/** Inputs every W1 contender starts from; built once per shape so all engines share the bits. */
export interface MlpCase {
  shape: MlpShape;
  init: MlpParams;
  batch: Batch;
}

export function mlpCase(shape: MlpShape): MlpCase {
  return { shape, init: mlpInit(shape), batch: mlpBatch(shape) };
}

/** Run `step` twice from fresh state and summarize: the cross-check protocol of data.ts. */
async function twoStepSummary<S>(
  fresh: () => S,
  step: (s: S) => Promise<number> | number,
  params: (s: S) => Promise<ArrayLike<number>[]> | ArrayLike<number>[],
  free: (s: S) => void,
): Promise<number[]> {
  const s = fresh();
  const l1 = await step(s);
  const l2 = await step(s);
  const out = mlpSummary([l1, l2], await params(s));
  free(s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Plain JS

/** A hand-written training step: forward, fused softmax-xent, backward, Adam; all Float32Array. */
class JsMlp {
  readonly W: Float32Array[];
  readonly b: Float32Array[];
  private readonly mW: Float32Array[];
  private readonly vW: Float32Array[];
  private readonly mb: Float32Array[];
  private readonly vb: Float32Array[];
  private readonly gW: Float32Array[];
  private readonly gb: Float32Array[];
  /** H[0] = x; H[l+1] = relu(H[l] W[l] + b[l]); the last one holds the logits */
  private readonly H: Float32Array[];
  /** dZ[l]: gradient w.r.t. the pre-activation of layer l */
  private readonly dZ: Float32Array[];
  private readonly hT: Float32Array;
  private readonly wT: Float32Array;
  private t = 0;

  constructor(
    private readonly c: MlpCase,
    private readonly mm: MatmulKernel,
  ) {
    const { shape, init, batch } = c;
    const B = shape.batch;
    this.W = init.W.map((w) => w.slice());
    this.b = init.b.map((b) => b.slice());
    this.mW = init.W.map((w) => new Float32Array(w.length));
    this.vW = init.W.map((w) => new Float32Array(w.length));
    this.gW = init.W.map((w) => new Float32Array(w.length));
    this.mb = init.b.map((b) => new Float32Array(b.length));
    this.vb = init.b.map((b) => new Float32Array(b.length));
    this.gb = init.b.map((b) => new Float32Array(b.length));
    this.H = shape.sizes.map((n, l) => (l === 0 ? batch.x : new Float32Array(B * n)));
    this.dZ = shape.sizes.slice(1).map((n) => new Float32Array(B * n));
    const maxIn = Math.max(...shape.sizes.slice(0, -1));
    const maxW = Math.max(...init.W.map((w) => w.length));
    this.hT = new Float32Array(B * maxIn);
    this.wT = new Float32Array(maxW);
  }

  step(): number {
    const { sizes, batch: B } = this.c.shape;
    const L = sizes.length - 1;
    const { H, W, b, dZ, mm } = this;

    for (let l = 0; l < L; l++) {
      const n = sizes[l + 1];
      const out = H[l + 1];
      mm(B, sizes[l], n, H[l], W[l], out);
      const bias = b[l];
      const relu = l < L - 1;
      for (let i = 0; i < B; i++) {
        const o = i * n;
        for (let j = 0; j < n; j++) {
          const z = out[o + j] + bias[j];
          out[o + j] = relu && z < 0 ? 0 : z;
        }
      }
    }

    // Fused softmax cross-entropy: loss = mean(logsumexp(z) - z[y]); dz = (softmax(z) - onehot(y)) / B.
    const C = sizes[L];
    const logits = H[L];
    const dl = dZ[L - 1];
    const y = this.c.batch.y;
    let loss = 0;
    for (let i = 0; i < B; i++) {
      const o = i * C;
      let mx = -Infinity;
      for (let j = 0; j < C; j++) mx = Math.max(mx, logits[o + j]);
      let s = 0;
      for (let j = 0; j < C; j++) {
        const e = Math.exp(logits[o + j] - mx);
        dl[o + j] = e;
        s += e;
      }
      loss += Math.log(s) + mx - logits[o + y[i]];
      const inv = 1 / (s * B);
      for (let j = 0; j < C; j++) dl[o + j] *= inv;
      dl[o + y[i]] -= 1 / B;
    }
    loss /= B;

    for (let l = L - 1; l >= 0; l--) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const g = dZ[l];
      // dW = H^T dZ, via an explicit transpose so the kernel streams rows.
      transpose(B, nIn, H[l], this.hT);
      mm(nIn, B, nOut, this.hT, g, this.gW[l]);
      const gb = this.gb[l];
      gb.fill(0);
      for (let i = 0; i < B; i++) {
        const o = i * nOut;
        for (let j = 0; j < nOut; j++) gb[j] += g[o + j];
      }
      if (l > 0) {
        // dH = dZ W^T, then through the relu: dZ[l-1] = dH * (H > 0).
        transpose(nIn, nOut, W[l], this.wT);
        const dh = dZ[l - 1];
        mm(B, nOut, nIn, g, this.wT, dh);
        const h = H[l];
        for (let i = 0; i < B * nIn; i++) if (!(h[i] > 0)) dh[i] = 0;
      }
    }

    this.t++;
    for (let l = 0; l < L; l++) {
      adam(W[l], this.gW[l], this.mW[l], this.vW[l], this.t);
      adam(b[l], this.gb[l], this.mb[l], this.vb[l], this.t);
    }
    return loss;
  }
}

/** Adam as tfjs writes it: p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). */
function adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, t: number): void {
  const { lr, beta1, beta2, eps } = ADAM;
  const c1 = 1 / (1 - beta1 ** t);
  const c2 = 1 / (1 - beta2 ** t);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= (lr * (mi * c1)) / (Math.sqrt(vi * c2) + eps);
  }
}

function jsMlpContender(c: MlpCase, name: string, mm: MatmulKernel, note: string): Contender {
  return {
    name,
    engine: "js",
    note,
    async setup(): Promise<Instance> {
      const live = new JsMlp(c, mm);
      return {
        run: () => void live.step(),
        result: () =>
          twoStepSummary(
            () => new JsMlp(c, mm),
            (s) => s.step(),
            (s) => interleaveParams(s.W, s.b),
            () => {},
          ),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// TensorFlow.js eager, its own autodiff and Adam

interface TfState {
  W: tf.Variable[];
  b: tf.Variable[];
  opt: tf.AdamOptimizer;
}

function tfMlpContender(c: MlpCase, backend: TfBackend): Contender {
  return {
    name: `tfjs ${backend}`,
    engine: backend === "wasm" ? "wasm" : "js",
    note: "optimizer.minimize(loss, true, vars) with tf.train.adam; oneHot + tf.losses.softmaxCrossEntropy",
    async setup(): Promise<Instance> {
      await useBackend(backend);
      const { shape, init, batch } = c;
      const L = shape.sizes.length - 1;
      const classes = shape.sizes[L];
      const wShapes = mlpWeightShapes(shape);
      const x = tf.tensor2d(batch.x, [shape.batch, shape.sizes[0]]);
      const y = tf.tensor1d(batch.y, "int32");
      const fresh = (): TfState => ({
        W: init.W.map((w, l) => tf.variable(tf.tensor2d(w, wShapes[l]))),
        b: init.b.map((b) => tf.variable(tf.tensor1d(b))),
        opt: tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps),
      });
      const step = (s: TfState): number => {
        const loss = s.opt.minimize(
          () => {
            let h: tf.Tensor = x;
            for (let l = 0; l < L; l++) {
              h = tf.add(tf.matMul(h, s.W[l]), s.b[l]);
              if (l < L - 1) h = tf.relu(h);
            }
            const labels = tf.cast(tf.oneHot(y, classes), "float32");
            return tf.losses.softmaxCrossEntropy(labels, h) as tf.Scalar;
          },
          true,
          [...s.W, ...s.b],
        )!;
        const v = loss.dataSync()[0];
        loss.dispose();
        return v;
      };
      const free = (s: TfState) => {
        s.opt.dispose();
        for (const v of [...s.W, ...s.b]) v.dispose();
      };
      const live = fresh();
      return {
        beforeRun: () => useBackend(backend),
        run: () => void noDataMoves(() => step(live)),
        result: () =>
          twoStepSummary(
            fresh,
            step,
            (s) => interleaveParams(s.W, s.b).map((v) => v.dataSync()),
            free,
          ),
        dispose: () => {
          free(live);
          x.dispose();
          y.dispose();
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// jax-js: jit(value_and_grad + Adam) on the wasm device

type JaxParams = { W: np.Array[]; b: np.Array[] };

interface JaxState {
  p: JaxParams;
  m: JaxParams;
  v: JaxParams;
  t: number;
}

function jaxMlpContender(c: MlpCase): Contender {
  return {
    name: "jax-js wasm",
    engine: "wasm",
    note: "jit(valueAndGrad(loss) + Adam), params/moments as pytrees; logSoftmax + oneHot",
    async setup(): Promise<Instance> {
      await useJaxWasm();
      const { shape, init, batch } = c;
      const L = shape.sizes.length - 1;
      const classes = shape.sizes[L];
      const wShapes = mlpWeightShapes(shape);
      const { lr, beta1, beta2, eps } = ADAM;

      // jax-js arrays are reference counted: every use consumes one reference (see its README).
      const lossFn = (p: JaxParams, x: np.Array, y: np.Array): np.Array => {
        let h = x;
        for (let l = 0; l < L; l++) {
          h = np.matmul(h, p.W[l]).add(p.b[l]);
          if (l < L - 1) h = nn.relu(h);
        }
        const logp = nn.logSoftmax(h, -1);
        return logp.mul(nn.oneHot(y, classes)).sum(-1).mean().neg();
      };
      const adamLeaf = (p: np.Array, m: np.Array, v: np.Array, g: np.Array, c1: np.Array, c2: np.Array) => {
        const m2 = m.mul(beta1).add(g.ref.mul(1 - beta1));
        const v2 = v.mul(beta2).add(g.ref.mul(g).mul(1 - beta2));
        const upd = m2.ref.mul(c1).div(np.sqrt(v2.ref.mul(c2)).add(eps));
        return [p.sub(upd.mul(lr)), m2, v2] as const;
      };
      const step = jit(
        (p: JaxParams, m: JaxParams, v: JaxParams, x: np.Array, y: np.Array, c1: np.Array, c2: np.Array) => {
          const [loss, g] = valueAndGrad(lossFn)(tree.ref(p), x, y);
          const out = { p: { W: [] as np.Array[], b: [] as np.Array[] }, m: { W: [] as np.Array[], b: [] as np.Array[] }, v: { W: [] as np.Array[], b: [] as np.Array[] } };
          for (const k of ["W", "b"] as const) {
            for (let l = 0; l < L; l++) {
              const [p2, m2, v2] = adamLeaf(p[k][l], m[k][l], v[k][l], g[k][l], c1.ref, c2.ref);
              out.p[k].push(p2);
              out.m[k].push(m2);
              out.v[k].push(v2);
            }
          }
          c1.dispose();
          c2.dispose();
          return [loss, out.p, out.m, out.v] as [np.Array, JaxParams, JaxParams, JaxParams];
        },
      );

      const x = np.array(batch.x).reshape([shape.batch, shape.sizes[0]]);
      const y = np.array(batch.y, { dtype: np.int32 });
      const zeros = (): JaxParams => ({
        W: wShapes.map((s) => np.zeros(s)),
        b: wShapes.map((s) => np.zeros([s[1]])),
      });
      const fresh = (): JaxState => ({
        p: {
          W: init.W.map((w, l) => np.array(w).reshape(wShapes[l])),
          b: init.b.map((b) => np.array(b)),
        },
        m: zeros(),
        v: zeros(),
        t: 0,
      });
      const doStep = async (s: JaxState): Promise<number> => {
        s.t++;
        const c1 = np.array(1 / (1 - beta1 ** s.t));
        const c2 = np.array(1 / (1 - beta2 ** s.t));
        const [loss, p, m, v] = step(s.p, s.m, s.v, x.ref, y.ref, c1, c2);
        s.p = p;
        s.m = m;
        s.v = v;
        // Wait for the whole step, not only the loss: jax-js dispatches lazily.
        await blockUntilReady([p, m, v]);
        const lv = (await loss.data())[0];
        return lv;
      };
      const free = (s: JaxState) => tree.dispose([s.p, s.m, s.v]);
      const live = fresh();
      return {
        run: async () => void (await doStep(live)),
        result: () =>
          twoStepSummary(
            fresh,
            doStep,
            async (s) => {
              const ps = interleaveParams(s.p.W, s.p.b);
              return Promise.all(ps.map((a) => a.ref.data()));
            },
            free,
          ),
        dispose: () => {
          free(live);
          x.dispose();
          y.dispose();
          step.dispose();
        },
      };
    },
  };
}

/** All W1 peers; the first is the cross-check reference. */
export function mlpPeers(c: MlpCase): Contender[] {
  return [
    jsMlpContender(c, "plain JS", matmulIkj, "hand-written: i-k-j matmuls (2 rows per B load), fused softmax-xent, Adam loop"),
    jsMlpContender(
      c,
      "plain JS blocked",
      matmulBlocked,
      "same step, matmuls register-blocked 2x4 with a packed B panel",
    ),
    tfMlpContender(c, "cpu"),
    tfMlpContender(c, "wasm"),
    jaxMlpContender(c),
  ];
}
