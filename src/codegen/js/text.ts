/** @file Text helpers for generated JS: number literals exactly as storage holds them, safe comments and names. */
import { allocStorage, type DType } from "../../ir/index.js";

/** The number a value of `dtype` actually holds after a store (f32 rounds, i32 wraps, bool is a byte). */
export function stored(x: number, dtype: DType): number {
  const a = allocStorage(dtype, 1);
  a[0] = x;
  return a[0]!;
}

/** A JS expression for a number: round-trips exactly, parenthesized when negative. */
export function num(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "(-Infinity)";
  if (Object.is(x, -0)) return "(-0)";
  return x < 0 ? `(${x})` : String(x);
}

/** A literal for a constant of `dtype`, with the rounding its storage would apply. */
export const literal = (x: number, dtype: DType): string => num(stored(x, dtype));

/** Text made safe for a `//` comment: no line terminators (U+2028/9 end a comment too). */
export const commentSafe = (s: string): string => s.replace(/[\r\n\u2028\u2029]/g, " ");

/** An identifier fragment from a readable name (kernel names come from passes; never trusted as code). */
export const identSafe = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 48) || "kernel";

export const ARRAY_CTOR: Record<DType, string> = { f32: "Float32Array", f64: "Float64Array", i32: "Int32Array", bool: "Uint8Array" };
export const BYTES: Record<DType, number> = { f32: 4, f64: 8, i32: 4, bool: 1 };

/** Indents every line of `text` by `n` spaces. */
export const indent = (text: string, n = 2): string =>
  text.split("\n").map((l) => (l.length ? " ".repeat(n) + l : l)).join("\n");
