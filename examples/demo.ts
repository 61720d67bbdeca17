/** @file `npm run demo`: the seed's custom training loop on real MNIST digits (examples/mnist.ts): an MLP
 * trained with Adam, the whole step compiled with fn on the fastest backend registered (js).
 *
 *   npm run demo -- [--epochs 5] [--batch 128] [--backend js|tfjs|interp] [--log-every 20]
 */
import { runMnist, type MnistOptions } from "./mnist.js";

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const num = (name: string): number | undefined => (flag(name) === undefined ? undefined : Number(flag(name)));

const opts: MnistOptions = { epochs: num("epochs"), batchSize: num("batch"), logEvery: num("log-every"), backend: flag("backend"), hidden: num("hidden"), learningRate: num("lr") };
const r = runMnist(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
const acc = r.valAccuracy.at(-1) ?? 0;
console.log(`final validation accuracy ${(100 * acc).toFixed(2)}% after ${r.valAccuracy.length} epochs; ${r.msPerStep.toFixed(1)} ms/step on the ${r.backend} backend; ${r.seconds.toFixed(1)} s in all`);
