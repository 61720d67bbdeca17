// The packed tarball in a browser: bundled by esbuild from the consumer project's node_modules, trained in Chromium.
import { fn, gradients, variable, randomNormal, zeros } from "graft";

const xs = randomNormal([32, 3], { seed: 1 });
const ys = xs.matmul(randomNormal([3, 1], { seed: 2 })).add(0.5);
const w = variable(zeros([3, 1]));
const b = variable(zeros([1]));
const step = fn((x, y) => {
  const loss = x.matmul(w).add(b).sub(y).square().mean();
  const [gw, gb] = gradients(loss, [w, b]);
  w.assign(w.sub(gw.mul(0.1)));
  b.assign(b.sub(gb.mul(0.1)));
  return loss;
});
const losses = [];
for (let i = 0; i < 100; i++) losses.push(step(xs, ys).item());
globalThis.result = { first: losses[0], last: losses.at(-1), backend: step.backend };
document.title = "done";
