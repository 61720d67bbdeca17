/** @file Element types, their spellings, storage arrays and the promotion rules. */
import { DTypeError } from "./errors.js";

export type DType = "f32" | "f64" | "i32" | "bool";
export const DTYPES: readonly DType[] = ["f32", "f64", "i32", "bool"];

/** tfjs spellings users already know are accepted everywhere a dtype is. */
const ALIASES: Record<string, DType> = {
  f32: "f32", float32: "f32", f64: "f64", float64: "f64",
  i32: "i32", int32: "i32", bool: "bool",
};

export function parseDType(name: string): DType {
  const d = typeof name === "string" && Object.prototype.hasOwnProperty.call(ALIASES, name) ? ALIASES[name] : undefined;
  const shown = typeof name === "string" ? `'${name}'` : typeof name === "symbol" ? "(a symbol)" : `${JSON.stringify(name) ?? typeof name}`;
  if (!d) throw new DTypeError(`unknown dtype ${shown} (expected one of f32, f64, i32, bool, float32, float64, int32)`);
  return d;
}

export const isFloat = (d: DType): boolean => d === "f32" || d === "f64";

export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Typed-array storage for a dtype. `wide` stores f32 as f64: the interpreter's float64 mode,
 * which gradient checking uses to run an f32 graph without f32 rounding.
 */
export function allocStorage(d: DType, size: number, wide = false): Storage {
  switch (d) {
    case "f32": return wide ? new Float64Array(size) : new Float32Array(size);
    case "f64": return new Float64Array(size);
    case "i32": return new Int32Array(size);
    case "bool": return new Uint8Array(size);
    default: return d satisfies never;
  }
}

/** tfjs dtype names (tfjs has no float64: f64 runs as float32 there). */
export function tfjsDType(d: DType): "float32" | "int32" | "bool" {
  return d === "i32" ? "int32" : d === "bool" ? "bool" : "float32";
}

/**
 * Promotion for binary ops. The rules, chosen so nothing surprising happens silently:
 * - equal dtypes stay as they are;
 * - f32 with f64 widens to f64 (no information lost);
 * - a float with i32 or bool, or i32 with bool, is an error that asks for an explicit `cast`:
 *   tfjs and numpy disagree on what i32+f32 should be, so graft makes the user say it;
 * - plain JS numbers are "weak" (as in JAX): they take the dtype of the tensor they meet, so
 *   `x.mul(2)` keeps x's dtype. That happens before this function is called.
 */
export function promote(a: DType, b: DType, op: string): DType {
  if (a === b) return a;
  if (isFloat(a) && isFloat(b)) return "f64";
  throw new DTypeError(`${op}: cannot mix ${a} and ${b}; cast one side explicitly (e.g. x.cast("${isFloat(a) ? a : b}"))`);
}
