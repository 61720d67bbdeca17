/** @file getConfig()/fromConfig() plumbing: a registry of configurable classes by name, as in Keras's serialize/deserialize. */
import { UsageError } from "../ir/index.js";

/** A JSON-able configuration. */
export type Config = { readonly [key: string]: ConfigValue };
export type ConfigValue = number | string | boolean | null | undefined | readonly ConfigValue[] | Config | { readonly className: string; readonly config: Config };

/** What `serialize` writes for an object: its registered class name and its config. */
export interface Serialized {
  readonly className: string;
  readonly config: Config;
}

/** Anything with a config that can rebuild it. */
export interface Configurable {
  getConfig(): Config;
}

export interface ConfigurableClass<T extends Configurable = Configurable> {
  readonly name: string;
  fromConfig(config: Config): T;
}

const registry = new Map<string, ConfigurableClass>();

/**
 * Registers a class so `deserialize` can rebuild it by name (Keras's `register_keras_serializable`).
 * Built-ins register themselves; user subclasses (the seed's CustomRegularizer) call this once.
 */
export function registerClass<C extends ConfigurableClass>(cls: C, name: string = cls.name): C {
  registry.set(name, cls);
  return cls;
}

export function serialize(obj: Configurable): Serialized {
  const className = (obj.constructor as { className?: string }).className ?? obj.constructor.name;
  return { className, config: obj.getConfig() };
}

export function deserialize<T extends Configurable>(s: Serialized): T {
  const cls = registry.get(s.className);
  if (!cls) {
    throw new UsageError(`deserialize: unknown class '${s.className}' (registered: ${[...registry.keys()].sort().join(", ")}); call registerClass(${s.className}) first`);
  }
  return cls.fromConfig(s.config) as T;
}

export const isSerialized = (x: unknown): x is Serialized =>
  typeof x === "object" && x !== null && typeof (x as Serialized).className === "string" && typeof (x as Serialized).config === "object";
