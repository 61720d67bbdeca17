/** @file The seed's CustomMSE: a Loss subclass whose call() is mean(square(yTrue - yPred)). */
import { losses, mean, square, type Tensor } from "../src/index.js";

export class CustomMSE extends losses.Loss {
  call(yTrue: Tensor, yPred: Tensor): Tensor {
    const L = square(yTrue.sub(yPred)); // elementwise square: [1,2,3] -> [1,4,9]
    return mean(L); // the mean of every element
  }
}
