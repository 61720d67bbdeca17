/** @file The seed's CustomRegularizer: a penalty sum(|factor * w|) with a `factor` and getConfig(), so models
 * that use it can be saved and rebuilt (registerClass makes it known to deserialize). */
import { abs, regularizers, registerClass, sum, type Config, type Tensor } from "../src/index.js";

export class CustomRegularizer extends regularizers.Regularizer {
  readonly factor: number;
  /** `new CustomRegularizer(0.01)` as in the seed, or from its config `{ factor }`. */
  constructor(factor: number | { factor: number }) {
    super();
    this.factor = typeof factor === "number" ? factor : factor.factor;
  }
  call(weights: Tensor): Tensor {
    return sum(abs(weights.mul(this.factor)));
  }
  override getConfig(): Config {
    return { factor: this.factor };
  }
}

registerClass(CustomRegularizer);
