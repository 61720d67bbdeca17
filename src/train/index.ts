/** @file The training library's public names (re-exported by src/index.ts as namespaces). */
export * as optimizers from "./optimizers/index.js";
export * as losses from "./losses.js";
export * as regularizers from "./regularizers.js";
export * as metrics from "./metrics.js";
export * as data from "./data.js";
export * as layers from "./layers/index.js";
export * as initializers from "./initializers.js";
export { Model, Layer, Sequential } from "./layers/index.js";
export { Dataset } from "./data.js";
export { Checkpoint, CheckpointError, saveWeights, loadWeights, type Manifest, type Trackable } from "./checkpoint.js";
export { registerClass, serialize, deserialize, type Config, type Serialized } from "./serialization.js";
