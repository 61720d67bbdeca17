// A plain Node consumer of the packed tarball: fits y = 3x - 2 + noise with a compiled step and checks the loss fell.
import { fn, gradients, variable, tensor, randomNormal, zeros, GraftError } from "graft";

const n = 64;
const xs = randomNormal([n, 1], { seed: 1 });
const noise = randomNormal([n, 1], { seed: 2 }).mul(0.01);
const ys = xs.mul(3).sub(2).add(noise);
const w = variable(zeros([1, 1]), { name: "w" });
const b = variable(zeros([1]), { name: "b" });
const step = fn((x, y) => {
  const loss = x.matmul(w).add(b).sub(y).square().mean();
  const [gw, gb] = gradients(loss, [w, b]);
  w.assign(w.sub(gw.mul(0.2)));
  b.assign(b.sub(gb.mul(0.2)));
  return loss;
});
const losses = [];
for (let i = 0; i < 60; i++) losses.push(step(xs, ys).dataSync()[0]);
const [w1] = w.value.dataSync();
const [b1] = b.value.dataSync();
console.log(`consumer train.mjs: loss ${losses[0].toFixed(4)} -> ${losses.at(-1).toExponential(2)}, w=${w1.toFixed(3)} b=${b1.toFixed(3)}`);
if (!(losses.at(-1) < losses[0] * 1e-2)) throw new Error(`loss did not fall: ${losses[0]} -> ${losses.at(-1)}`);
if (Math.abs(w1 - 3) > 0.02 || Math.abs(b1 + 2) > 0.02) throw new Error(`fit is off: w=${w1}, b=${b1} (want 3, -2)`);

// a user mistake is a GraftError naming the op and the shapes
try {
  tensor([1, 2, 3]).add(tensor([1, 2]));
  throw new Error("a shape mismatch was not reported");
} catch (e) {
  if (!(e instanceof GraftError) || !/add/.test(e.message)) throw e;
}

// a subpath whose optional dependency is missing names the package and the install command
try {
  await import("graft/tfjs");
  console.log("consumer: @tensorflow/tfjs is installed; graft/tfjs loaded");
} catch (e) {
  if (e?.name !== "MissingDependencyError" || !e.message.includes("npm install @tensorflow/tfjs")) throw e;
  console.log(`consumer: graft/tfjs without tfjs -> ${e.message.split("\n")[0]}`);
}
