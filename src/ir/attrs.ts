/** @file Attribute checking shared by the builder's callers, the text parser, the JSON reader and the verifier. */
import { parseDType } from "./dtype.js";
import type { AttrValue, Attrs } from "./graph.js";
import { opDef, type AttrType, type OpName } from "./ops/index.js";

/** Returns the reason `value` is not a valid `type`, or undefined when it is. */
export function attrProblem(type: AttrType, value: unknown): string | undefined {
  const isNums = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === "number");
  switch (type) {
    case "int": return Number.isInteger(value) ? undefined : "an integer";
    case "float": return typeof value === "number" ? undefined : "a number";
    case "bool": return typeof value === "boolean" ? undefined : "true or false";
    case "string": return typeof value === "string" ? undefined : "a string";
    case "ints": return isNums(value) && value.every(Number.isInteger) ? undefined : "a list of integers";
    case "floats": return isNums(value) ? undefined : "a list of numbers";
    case "dtype":
      try {
        parseDType(String(value));
        return typeof value === "string" ? undefined : "a dtype";
      } catch {
        return "a dtype (f32, f64, i32, bool)";
      }
    default: return type satisfies never;
  }
}

/** Validates a raw attribute record for `op`; returns it with dtypes in canonical spelling, or a list of problems. */
export function checkAttrs(op: OpName, raw: Record<string, unknown>): { attrs: Attrs } | { problems: string[] } {
  const schema = opDef(op).attrs as Record<string, AttrType>;
  const defaults = (opDef(op).defaults ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const out: Record<string, AttrValue> = {};
  for (const key of Object.keys(raw)) if (!(key in schema)) problems.push(`unknown attribute '${key}' for ${op}`);
  for (const [key, type] of Object.entries(schema)) {
    const v = raw[key] ?? defaults[key];
    if (v === undefined) {
      problems.push(`${op} needs attribute '${key}' (${type})`);
      continue;
    }
    const p = attrProblem(type, v);
    if (p) problems.push(`attribute '${key}' of ${op} must be ${p}, got ${JSON.stringify(v)}`);
    else out[key] = type === "dtype" ? parseDType(v as string) : (v as AttrValue);
  }
  return problems.length ? { problems } : { attrs: out };
}
