/** @file The GraftError hierarchy: every user-facing failure names the op, the shapes and the user's line. */

/** Base class of every error graft raises on purpose. `code` is stable for scripts and tests. */
export class GraftError extends Error {
  /** The message without the location line, so a caller can re-raise it with a better one. */
  readonly detail: string;
  constructor(
    message: string,
    readonly code: string = "graft",
    readonly loc?: string,
  ) {
    super(loc ? `${message}\n  at ${loc}` : message);
    this.detail = message;
    this.name = new.target.name;
  }
}

/** Re-raises a location-less error of the (message, loc) kind with the user's source line. */
export function withLoc(e: unknown, loc: string | undefined): unknown {
  if (!loc || !(e instanceof GraftError) || e.loc || e instanceof ParseError || e instanceof VerifyError) return e;
  // the base class takes (message, code, loc); the subclasses take (message, loc)
  if (e.constructor === GraftError) return new GraftError(e.detail, e.code, loc);
  const Ctor = e.constructor as new (m: string, l?: string) => GraftError;
  return new Ctor(e.detail, loc);
}

/** Shapes that do not fit together (broadcasting, matmul, reshape, axes). */
export class ShapeError extends GraftError {
  constructor(message: string, loc?: string) {
    super(message, "shape", loc);
  }
}

/** Dtypes that do not fit together, or an op applied to a dtype it does not accept. */
export class DTypeError extends GraftError {
  constructor(message: string, loc?: string) {
    super(message, "dtype", loc);
  }
}

/** Malformed IR text (with line and column) or malformed JSON IR. */
export class ParseError extends GraftError {
  constructor(
    message: string,
    readonly line = 0,
    readonly column = 0,
  ) {
    super(line > 0 ? `${message} (line ${line}, column ${column})` : message, "parse");
  }
}

/** A graph that breaks an IR invariant; the message prints the offending node as text. */
export class VerifyError extends GraftError {
  constructor(message: string) {
    super(message, "verify");
  }
}

/** A gradient that cannot be taken (an op without a VJP on the path, a wrong custom gradient). */
export class GradError extends GraftError {
  constructor(message: string, loc?: string) {
    super(message, "grad", loc);
  }
}

/** A NaN or Inf found by a checked run. */
export class NaNError extends GraftError {
  constructor(message: string, loc?: string) {
    super(message, "nan", loc);
  }
}

/** Wrong use of the API (bad argument, tracer leaked out of `fn`, unknown backend). */
export class UsageError extends GraftError {
  constructor(message: string, loc?: string) {
    super(message, "usage", loc);
  }
}
