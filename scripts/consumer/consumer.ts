// A strict TypeScript consumer of the packed tarball's declarations (no @types/node: the core's types must not need them).
import { fn, gradients, variable, zeros, randomNormal, optimizers, losses, layers, ir, GraftError, type Tensor, type DType, type CompiledFn } from "graft";
import { checkGrads, type CheckGradsOptions } from "graft/testing";

const w = variable(zeros([4, 2]), { name: "w" });
const step = fn((x: Tensor, y: Tensor): Tensor => {
  const loss = x.matmul(w).sub(y).square().mean();
  const [gw] = gradients(loss, [w]);
  w.assign(w.sub(gw!.mul(0.1)));
  return loss;
});
const asCompiled: CompiledFn<[Tensor, Tensor], Tensor> = step;
const dtype: DType = randomNormal([2, 4], { seed: 3 }).dtype;
const text: string = ir.print(asCompiled.graph("traced"));
const opts: CheckGradsOptions = { order: 1 };
const model = new layers.Sequential([new layers.Dense({ units: 3, inputShape: [4] })]);
const opt = new optimizers.Adam({ learningRate: 1e-3 });
const loss = new losses.MeanSquaredError();
export const used = [dtype, text, opts, model, opt, loss, checkGrads, GraftError];

// @ts-expect-error a shape is a number array, not a string: the declarations are real types, not any
zeros("4x2");
