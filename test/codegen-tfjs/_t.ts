import { initTfjs } from "../../src/index.js";
import { compileMlp, makeMlp, mlpBatch } from "./mlp.js";
await initTfjs("wasm");
const sizes = [784, 256, 256, 10];
const { x, y } = mlpBatch(32, 784, 10);
const res: Record<string, number[]> = {};
const models: Record<string, ReturnType<typeof makeMlp>> = {};
for (const be of [["interp"], ["tfjs", "cpu"], ["tfjs", "wasm"]]) {
  const m = makeMlp(sizes); models[be.join("-")] = m;
  const step = compileMlp(m, 10, { backend: be[0], tfjsBackend: be[1] });
  const t0 = performance.now();
  const losses = [];
  for (let i = 0; i < 20; i++) losses.push(step(x, y).item());
  console.log(be.join("-"), (performance.now() - t0).toFixed(0), "ms", losses.map((l) => l.toFixed(5)).join(" "));
  res[be.join("-")] = losses;
  if (be[1] === "wasm") console.log(step.source());
}
const ref = models["interp"]!;
for (const k of ["tfjs-cpu", "tfjs-wasm"]) {
  let md = 0;
  models[k]!.all.forEach((v, i) => { const a = v.dataSync(), b = ref.all[i]!.dataSync(); for (let j = 0; j < a.length; j++) md = Math.max(md, Math.abs(a[j]! - b[j]!)); });
  console.log(k, "max param diff", md);
}
