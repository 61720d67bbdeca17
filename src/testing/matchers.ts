/** @file Vitest matchers for graft: `expect(f).toHaveCorrectGradients(args, opts?)` runs checkGrads. */
import { checkGrads, type CheckGradsOptions } from "../dsl/checkgrads.js";
import { GraftError } from "../ir/errors.js";

/** The matcher bodies, for `expect.extend` (see ./setup.ts, registered in vitest.config.ts). */
export const graftMatchers = {
  toHaveCorrectGradients(received: unknown, args: readonly unknown[], opts?: CheckGradsOptions) {
    if (typeof received !== "function") {
      return { pass: false, message: () => `expected a function to check gradients of, got ${typeof received}` };
    }
    try {
      const r = checkGrads(received as (...a: never[]) => unknown, args, opts);
      return {
        pass: true,
        message: () => `expected gradients to be wrong, but ${r.checks.join("+")} ${r.mode} comparison(s) passed (max abs error ${r.maxAbsErr.toExponential(2)})`,
      };
    } catch (e) {
      if (!(e instanceof GraftError)) throw e;
      return { pass: false, message: () => e.message };
    }
  },
};

interface GraftMatchers<R = unknown> {
  /** Analytic gradients of the received function at `args` match float64 finite differences. */
  toHaveCorrectGradients(args: readonly unknown[], opts?: CheckGradsOptions): R;
}

declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends GraftMatchers<T> {}
}
