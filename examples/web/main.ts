/** @file The browser demo (`npm run demo:web`): trains an MLP on real MNIST digits with graft in the page, plotting loss and accuracy live with uPlot. */
import uPlot from "uplot";
import { data, fn, gradients, initializers, ir, layers, losses, optimizers, tensor, type Tensor } from "../../src/index.js";
import { toDot } from "../../src/ir/dot.js";

/** What the page exposes for tests (test/web) and the curious (`graftDemo` in the console). */
interface DemoState {
  backend: string;
  steps: number;
  losses: number[];
  /** [step, validation accuracy] after each evaluation. */
  accuracy: [number, number][];
  stepsPerSecond: number;
  done: boolean;
  error?: string;
}
const state: DemoState = { backend: "", steps: 0, losses: [], accuracy: [], stepsPerSecond: 0, done: false };
(globalThis as { graftDemo?: DemoState }).graftDemo = state;

const params = new URLSearchParams(location.search);
const MAX_STEPS = Number(params.get("steps") ?? 3000);
const BACKEND = params.get("backend") ?? "js";
const BATCH = Number(params.get("batch") ?? 64);
const HIDDEN = Number(params.get("hidden") ?? 128);
const EVAL_EVERY = 25;
const VAL = 1000;
const PIXELS = 784;

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const status = (text: string, error = false): void => {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
};
/** Anything that stops the demo is shown on the page (never a blank page) and recorded for tests. */
function fail(what: string, e: unknown): void {
  const msg = `${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  state.error = msg;
  state.done = true;
  status(msg, true);
  console.warn(msg); // a warning, not an error: tests that choose a missing backend expect this message
}

/** The digits from the server (scripts/web-demo.mjs): count, count*784 byte pixels, count labels. */
async function loadDigits(): Promise<{ images: Float32Array; labels: Int32Array; count: number }> {
  const res = await fetch("mnist.bin");
  if (!res.ok) throw new Error(`mnist.bin: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const count = new DataView(bytes.buffer).getUint32(0, true);
  // a seeded shuffle (the digits come sorted by class), then pixels scaled to [0, 1] as in examples/mnist-data.ts
  const order = Array.from({ length: count }, (_, i) => i);
  const rand = data.mulberry32(2022);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  order.forEach((src, k) => {
    for (let p = 0; p < PIXELS; p++) images[k * PIXELS + p] = bytes[4 + src * PIXELS + p]! / 255;
    labels[k] = bytes[4 + count * PIXELS + src]!;
  });
  return { images, labels, count };
}

function drawSamples(images: Float32Array, labels: Int32Array, preds: ArrayLike<number> | undefined): void {
  const box = $("samples");
  if (!box.childElementCount) {
    for (let i = 0; i < 32; i++) {
      const fig = document.createElement("figure");
      const c = document.createElement("canvas");
      c.width = c.height = 28;
      const ctx = c.getContext("2d")!;
      const img = ctx.createImageData(28, 28);
      for (let p = 0; p < PIXELS; p++) {
        const v = 255 - Math.round(images[i * PIXELS + p]! * 255);
        img.data.set([v, v, v, 255], p * 4);
      }
      ctx.putImageData(img, 0, 0);
      fig.append(c, document.createElement("figcaption"));
      box.append(fig);
    }
  }
  box.querySelectorAll("figcaption").forEach((cap, i) => {
    const p = preds?.[i];
    cap.textContent = p === undefined ? `? (${labels[i]})` : `${p} (${labels[i]})`;
    cap.className = p === undefined ? "" : p === labels[i] ? "ok" : "bad";
  });
}

async function main(): Promise<void> {
  status("loading MNIST digits…");
  const { images, labels, count } = await loadDigits();
  const train = count - VAL;
  const valX = tensor(images.subarray(train * PIXELS), [VAL, PIXELS]);
  const valLabels = labels.subarray(train);
  drawSamples(images.subarray(train * PIXELS), valLabels, undefined);

  if (BACKEND === "tfjs") {
    // TensorFlow.js is a separate chunk, loaded only for this backend
    const tfjs = await import("../../src/tfjs.js");
    await tfjs.initTfjs("cpu");
  }
  initializers.setRandomSeed(7);
  const model = new layers.Sequential([
    new layers.Dense({ units: HIDDEN, activation: "relu", inputShape: [PIXELS] }),
    new layers.Dense({ units: 10 }),
  ]);
  const optimizer = new optimizers.Adam({ learningRate: 3e-3 });
  const lossFn = new losses.SparseCategoricalCrossentropy({ fromLogits: true });
  const trainStep = fn(
    (x: Tensor, y: Tensor) => {
      const loss = lossFn.apply(y, model.apply(x, { training: true }));
      optimizer.applyGradients(optimizers.zip(gradients(loss, model.trainableWeights), model.trainableWeights));
      return loss;
    },
    { name: "train_step", backend: BACKEND },
  );
  const predict = fn((x: Tensor) => model.apply(x).argmax(-1), { name: "predict", backend: BACKEND });
  state.backend = trainStep.backend;
  $("backend").textContent = trainStep.backend;

  const plot = new uPlot(
    {
      width: 560,
      height: 260,
      scales: { x: { time: false }, acc: { range: [0, 1] } },
      series: [{ label: "step" }, { label: "loss", stroke: "#c33", scale: "loss" }, { label: "val acc", stroke: "#36c", scale: "acc", spanGaps: true, points: { show: true } }],
      axes: [{}, { scale: "loss", label: "loss" }, { scale: "acc", side: 1, label: "accuracy", grid: { show: false } }],
    },
    [[], [], []],
    $("plot"),
  );
  const xs: number[] = [];
  const accAt: (number | null)[] = [];

  const batchX = (i: number): Tensor => tensor(images.subarray(i * PIXELS, (i + BATCH) * PIXELS), [BATCH, PIXELS]);
  const batchY = (i: number): Tensor => tensor(labels.subarray(i, i + BATCH), [BATCH], "int32");
  let cursor = 0;
  const evaluate = (): void => {
    const preds = predict(valX).dataSync();
    let right = 0;
    for (let i = 0; i < VAL; i++) if (preds[i] === valLabels[i]) right++;
    state.accuracy.push([state.steps, right / VAL]);
    accAt[accAt.length - 1] = right / VAL;
    $("acc").textContent = (right / VAL).toFixed(3);
    drawSamples(images.subarray(train * PIXELS), valLabels, preds);
  };

  status(`training (${BACKEND} backend, batch ${BATCH}, MLP 784-${HIDDEN}-10, Adam)…`);
  let rateFrom = { t: performance.now(), steps: 0 };
  await new Promise<void>((resolve, reject) => {
    const chunk = (): void => {
      try {
        const t0 = performance.now();
        // train for ~40 ms, then give the page a frame to draw
        while (state.steps < MAX_STEPS && performance.now() - t0 < 40) {
          if (cursor + BATCH > train) cursor = 0;
          const loss = trainStep(batchX(cursor), batchY(cursor)).item();
          cursor += BATCH;
          state.steps++;
          state.losses.push(loss);
          xs.push(state.steps);
          accAt.push(null);
          if (state.steps === 1) showStep(trainStep);
          if (state.steps % EVAL_EVERY === 0 || state.steps === MAX_STEPS) evaluate();
        }
        const now = performance.now();
        if (now - rateFrom.t > 500) {
          state.stepsPerSecond = ((state.steps - rateFrom.steps) * 1000) / (now - rateFrom.t);
          rateFrom = { t: now, steps: state.steps };
          $("sps").textContent = state.stepsPerSecond.toFixed(1);
        }
        $("step").textContent = String(state.steps);
        $("loss").textContent = state.losses.at(-1)!.toFixed(4);
        plot.setData([xs, state.losses, accAt]);
        if (state.steps >= MAX_STEPS) resolve();
        else setTimeout(chunk, 0);
      } catch (e) {
        reject(e);
      }
    };
    chunk();
  });
  state.done = true;
  status(`done: ${state.steps} steps, validation accuracy ${state.accuracy.at(-1)?.[1].toFixed(3)}`);
}

/** The compiled step's fused IR, and its graph drawn by Graphviz (WebAssembly, loaded on demand). */
function showStep(step: { graph(stage: "fused"): Parameters<typeof toDot>[0] }): void {
  // bundled, every source line would read app.js:N: leave them out
  $("ir").textContent = ir.print(step.graph("fused"), { locs: false });
  import("@hpcc-js/wasm-graphviz")
    .then(({ Graphviz }) => Graphviz.load())
    .then((gv) => {
      $("graph").innerHTML = gv.dot(toDot(step.graph("fused")), "svg");
    })
    .catch((e: unknown) => {
      $("graph").textContent = `the graph picture is unavailable: ${String(e)}`;
    });
}

main().catch((e: unknown) => fail(`the ${BACKEND} backend could not train here`, e));
