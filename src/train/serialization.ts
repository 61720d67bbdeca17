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
  const hint = `give ${s.className} a \`static fromConfig(config)\` that calls its constructor with the config's fields (the default fromConfig calls \`new ${s.className}(config)\`, which a constructor like \`constructor(factor)\` does not take)`;
  let obj: T;
  try {
    obj = cls.fromConfig(s.config) as T;
  } catch (e) {
    throw new UsageError(`deserialize: ${s.className}.fromConfig(${JSON.stringify(s.config)}) failed (${e instanceof Error ? e.message : String(e)}); ${hint}`);
  }
  // a rebuilt object must describe itself with the saved config, or it was not rebuilt from it
  const got = typeof obj?.getConfig === "function" ? obj.getConfig() : undefined;
  const bad = got === undefined ? "(none)" : Object.keys(s.config).find((k) => s.config[k] !== undefined && !sameConfig(s.config[k], got[k]));
  if (bad !== undefined) {
    throw new UsageError(`deserialize: ${s.className} rebuilt from ${JSON.stringify(s.config)} has getConfig() ${JSON.stringify(got)} (key '${bad}' differs); ${hint}`);
  }
  return obj;
}

/** Deep equality of config values (JSON-like; a serialized object is compared by its class and config). */
function sameConfig(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameConfig((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export const isSerialized = (x: unknown): x is Serialized =>
  typeof x === "object" && x !== null && typeof (x as Serialized).className === "string" && typeof (x as Serialized).config === "object";
