/** @file `optimizers`: the built-in optimizers, the subclassable base, schedules and clipping. */
export { Optimizer, IndexedSlices, zip, type OptimizerOptions, type UpdateContext, type GradAndVar, type Gradient } from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions, type AdamWOptions } from "./adam.js";
export { RMSprop, Adagrad, type RMSpropOptions, type AdagradOptions } from "./rmsprop.js";
export { LearningRateSchedule, ExponentialDecay, CosineDecay, InverseTimeDecay } from "./schedules.js";
export { clipByValue, clipByNorm, clipByGlobalNorm, globalNorm } from "./clipping.js";
export * as schedules from "./schedules.js";
