/** @file The seed's custom training loop, ported line for line to graft, on real MNIST digits: Dataset
 * shuffle/batch, Adam, SparseCategoricalCrossentropy from logits, SparseCategoricalAccuracy, and the
 * whole training step (forward, loss, gradients, update, metric) compiled into one step with `fn`.
 *
 *   npx tsx examples/mnist.ts [--epochs 5] [--batch 128] [--backend js|tfjs|onnx|interp] [--log-every 20]
 */
import { pathToFileURL } from "node:url";
import { data, fn, gradients, initializers, layers, losses, metrics, optimizers, tensor, type Tensor } from "../src/index.js";
import { loadMnist } from "./mnist-data.js";
import { progress } from "../src/cli/progress.js";

export interface MnistOptions {
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly hidden?: number;
  readonly train?: number;
  readonly validation?: number;
  /** Print the training loss every this many steps (the seed prints every 500). */
  readonly logEvery?: number;
  readonly backend?: string;
  readonly seed?: number;
  /** Where lines go (console.log by default; tests pass a no-op). */
  readonly log?: (line: string) => void;
  readonly progress?: boolean;
}

export interface MnistResult {
  readonly trainAccuracy: number[];
  readonly valAccuracy: number[];
  readonly losses: number[];
  readonly backend: string;
  readonly steps: number;
  /** Mean milliseconds per training step after the first (which traces and compiles). */
  readonly msPerStep: number;
  readonly firstStepMs: number;
  readonly seconds: number;
}

export function runMnist(opts: MnistOptions = {}): MnistResult {
  const { epochs: EPOCHS = 5, batchSize: BatchSize = 128, learningRate: LR = 3e-3, hidden = 128, logEvery = 20, seed = 2022 } = opts;
  const log = opts.log ?? console.log;
  const t0 = performance.now();
  initializers.setRandomSeed(seed);
  const { trainImages, trainLabels, valImages, valLabels, trainSize, valSize } = loadMnist({ train: opts.train ?? 8000, validation: opts.validation ?? 2000, seed });
  const train_img = tensor(trainImages, [trainSize, 784]);
  const val_img = tensor(valImages, [valSize, 784]);

  let train_dataset = data.Dataset.fromTensorSlices<[Tensor, Tensor]>([train_img, trainLabels]);
  //                                   shuffle.                               split into batches.
  train_dataset = train_dataset.shuffle(1024, { seed }).batch(BatchSize);
  const validation_dataset = data.Dataset.fromTensorSlices<[Tensor, Tensor]>([val_img, valLabels]).batch(BatchSize);

  const model = new layers.Sequential([
    new layers.Dense({ units: hidden, activation: "relu", inputShape: [784] }),
    new layers.Dropout({ rate: 0.1 }),
    new layers.Dense({ units: 10 }),
  ]);

  // Optimizer & loss function
  const optimizer = new optimizers.Adam({ learningRate: LR });
  const loss_function = new losses.SparseCategoricalCrossentropy({ fromLogits: true });

  const train_accuracy = new metrics.SparseCategoricalAccuracy();
  const val_acc_metric = new metrics.SparseCategoricalAccuracy();

  // the seed's GradientTape block, compiled: forward, loss, gradients, apply_gradients, metric update
  const train_step = fn(
    (x_batch: Tensor, y_batch: Tensor) => {
      const logits = model.apply(x_batch, { training: true });
      const loss_val = loss_function.apply(y_batch, logits);
      const grad = gradients(loss_val, model.trainableWeights);
      optimizer.applyGradients(optimizers.zip(grad, model.trainableWeights));
      train_accuracy.updateState(y_batch, logits);
      return loss_val;
    },
    { name: "train_step", ...(opts.backend ? { backend: opts.backend } : {}) },
  );
  const val_step = fn(
    (x_batch_val: Tensor, y_batch_val: Tensor) => {
      const val_logits = model.apply(x_batch_val, { training: false });
      val_acc_metric.updateState(y_batch_val, val_logits);
    },
    { name: "val_step", ...(opts.backend ? { backend: opts.backend } : {}) },
  );

  const result = { trainAccuracy: [] as number[], valAccuracy: [] as number[], losses: [] as number[] };
  let steps = 0;
  let firstStepMs = 0;
  let stepMs = 0;
  log(`graft MNIST: ${trainSize} train / ${valSize} validation digits, MLP 784-${hidden}-10, Adam(${LR}), batch ${BatchSize}, backend ${train_step.backend}`);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    log(`Epoch ${epoch} start`);
    const bar = opts.progress === false ? undefined : progress(`epoch ${epoch}`, train_dataset.cardinality() ?? 0);
    // step: one batch
    let step = 0;
    for (const [x_batch, y_batch] of train_dataset) {
      const s = performance.now();
      const loss_val = train_step(x_batch, y_batch);
      const loss = loss_val.item();
      const ms = performance.now() - s;
      if (steps === 0) firstStepMs = ms;
      else stepMs += ms;
      steps++;
      result.losses.push(loss);
      bar?.tick(1, `loss ${loss.toFixed(4)}`);
      if (step % logEvery === 0) {
        bar?.clear();
        log(`Training loss at step ${step}: ${loss.toFixed(4)}`);
      }
      step++;
    }
    bar?.done();

    // accuracy over the epoch
    const train_acc = train_accuracy.result();
    log(`Training acc over epoch: ${train_acc.item().toFixed(4)}`);
    result.trainAccuracy.push(train_acc.item());
    train_accuracy.resetStates();

    for (const [x_batch_val, y_batch_val] of validation_dataset) val_step(x_batch_val, y_batch_val);
    const val_acc = val_acc_metric.result();
    log(`Validation acc: ${val_acc.item().toFixed(4)}`);
    result.valAccuracy.push(val_acc.item());
    val_acc_metric.resetStates();
  }
  const seconds = (performance.now() - t0) / 1000;
  const msPerStep = stepMs / Math.max(1, steps - 1);
  log(`backend ${train_step.backend}: ${msPerStep.toFixed(2)} ms/step over ${steps} steps (first step, with tracing and compiling: ${firstStepMs.toFixed(0)} ms); total ${seconds.toFixed(1)} s`);
  return { ...result, backend: train_step.backend, steps, msPerStep, firstStepMs, seconds };
}

/** `--name value` command-line flags. */
function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const num = (n: string) => (flag(n) === undefined ? undefined : Number(flag(n)));
  const opts = { epochs: num("epochs"), batchSize: num("batch"), logEvery: num("log-every"), backend: flag("backend"), hidden: num("hidden"), learningRate: num("lr") };
  runMnist(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
}
