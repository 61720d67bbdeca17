import { initTfjs } from "../../src/index.js";
import { compileMlp, makeMlp, mlpBatch } from "./mlp.js";
await initTfjs("wasm");
const sizes = [784, 256, 256, 10];
for (const B of [8, 128]) {
const { x, y } = mlpBatch(B, 784, 10);
for (const be of [["interp"], ["tfjs", "cpu"], ["tfjs", "wasm"]]) {
  if (B === 128 && be[0] === "interp") continue;
  const m = makeMlp(sizes);
  const step = compileMlp(m, 10, { backend: be[0], tfjsBackend: be[1] });
  let t0 = performance.now();
  step(x, y).item();
  const first = performance.now() - t0;
  t0 = performance.now();
  for (let i = 0; i < 5; i++) step(x, y).item();
  console.log(B, be.join("-"), "first", first.toFixed(0), "then", ((performance.now() - t0) / 5).toFixed(1), "ms/step");
}}
