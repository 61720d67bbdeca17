/** @file `layers`: Layer, Model, Dense, Dropout, Activation, Flatten, Sequential and activations. */
export { Layer, Model, type CallOptions, type LayerOptions, type WeightOptions } from "./layer.js";
export { Dense, Dropout, Activation, Flatten, LeakyReLU, type DenseOptions, type DropoutOptions } from "./core.js";
export { Sequential } from "./sequential.js";
export { getActivation, type ActivationFn, type ActivationName } from "./activations.js";
