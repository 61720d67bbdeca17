/** @file Flattening nested arrays and plain objects of tensors to leaves and back (a pytree, as in JAX). */
import { Tensor } from "./tensor.js";

export type Leaf = Tensor;
export interface TreeDef {
  readonly kind: "leaf" | "static" | "array" | "object";
  readonly value?: unknown;
  readonly children?: readonly TreeDef[];
  readonly keys?: readonly string[];
}

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype;

/** Tensors become leaves (`isLeaf` may claim other things); arrays and plain objects recurse; anything else is static. */
export function flatten(x: unknown, isLeaf: (v: unknown) => boolean = (v) => v instanceof Tensor): { leaves: unknown[]; def: TreeDef } {
  const leaves: unknown[] = [];
  const walk = (v: unknown): TreeDef => {
    if (isLeaf(v)) {
      leaves.push(v);
      return { kind: "leaf" };
    }
    if (Array.isArray(v)) return { kind: "array", children: v.map(walk) };
    if (isPlainObject(v)) {
      const keys = Object.keys(v).sort();
      return { kind: "object", keys, children: keys.map((k) => walk(v[k])) };
    }
    return { kind: "static", value: v };
  };
  return { leaves, def: walk(x) };
}

export function unflatten(def: TreeDef, leaves: readonly unknown[]): unknown {
  let i = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case "leaf": return leaves[i++];
      case "static": return d.value;
      case "array": return d.children!.map(build);
      case "object": return Object.fromEntries(d.keys!.map((k, j) => [k, build(d.children![j]!)]));
      default: return d.kind satisfies never;
    }
  };
  return build(def);
}

/** A stable string for a tree's structure and static values (part of a trace signature). */
export function defKey(def: TreeDef): string {
  switch (def.kind) {
    case "leaf": return "T";
    case "static": return staticKey(def.value);
    case "array": return `[${def.children!.map(defKey).join(",")}]`;
    case "object": return `{${def.keys!.map((k, j) => `${JSON.stringify(k)}:${defKey(def.children![j]!)}`).join(",")}}`;
    default: return def.kind satisfies never;
  }
}

const identities = new WeakMap<object, number>();
/** Objects and functions are static by identity: a different instance is a different signature. */
let nextIdentity = 1;
const identity = (o: object): number => {
  let id = identities.get(o);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(o, id);
  }
  return id;
};

function staticKey(v: unknown): string {
  if (typeof v === "function") return `fn:${v.name}#${identity(v)}`;
  if (typeof v === "object" && v !== null) return `obj:${v.constructor?.name ?? "?"}#${identity(v)}`;
  return JSON.stringify(v) ?? String(v);
}
