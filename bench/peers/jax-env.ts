/** @file jax-js on its wasm device (single-threaded in Node: no Web Worker global). */
import { defaultDevice, init } from "@jax-js/jax";

let ready: Promise<void> | undefined;

export function useJaxWasm(): Promise<void> {
  ready ??= (async () => {
    const devices = await init("wasm");
    if (!devices.includes("wasm")) throw new Error(`jax-js wasm device unavailable (got ${devices.join(",")})`);
    defaultDevice("wasm");
  })();
  return ready;
}
