/** @file `graft gradcheck`: checkGrads on every compiled function of a script, at the inputs it was called with; a table, exit 1 on a mismatch. */
import { isFloat, type NDArray } from "../ir/index.js";
import type { CheckGradsOptions } from "../dsl/checkgrads.js";
import { dslKit, type DslKit } from "../dsl/kit.js";
import type { Tensor } from "../dsl/tensor.js";
import { stemFor, type CompileRecord } from "../runtime/index.js";
import { CliUsageError, EXIT, oneOf, type Parsed } from "./args.js";
import { runDumped } from "./session.js";
import { cliOut, resolveScript } from "./script.js";
import { selectFn, selectSig } from "./dumpdir.js";
import { progress } from "./progress.js";

export const gradcheckHelp = `graft gradcheck — check the gradients of a script's compiled functions numerically

usage: graft gradcheck script.ts [options] [-- script args]

Runs the script, then, for every trace of every compiled function, runs checkGrads at the
inputs it was called with (and the state it had when it compiled): the analytic gradient of
its float outputs against float64 central differences, once per float input and once per
trainable variable it reads (the gradient with respect to the weights is what a training
step uses; optimizer slots and counters are not checked).
Prints one row per checked input: fn, trace, input, max abs error, max rel error, result
(for a failure, the largest errors among the worst mismatches its report lists).

options:
  --fn NAME      only this function
  --sig N        only the N-th trace of each function
  --wrt WHAT     inputs | state | all (default all)
  --order N      1 or 2 (default 1; 2 also checks second derivatives)
  --eps X        finite-difference step (default 1e-6)
  --atol X       absolute tolerance (default 1e-5)
  --rtol X       relative tolerance (default 1e-3)
  --mode M       auto | full | random (default auto: the full Jacobian when small)

Exit code 1 when any check fails (the report of each failure follows the table), 0 otherwise.
Functions with no float output are listed as skipped; integer and bool inputs and
non-trainable variables are summed up under "not checked".
Note: it runs the functions again; state is restored to its compile-time value for each check.`;

export const gradcheckOptions = { fn: "value", sig: "value", wrt: "value", order: "value", eps: "value", atol: "value", rtol: "value", mode: "value" } as const;

interface Row {
  readonly fn: string;
  readonly sig: number;
  readonly input: string;
  readonly abs?: number;
  readonly rel?: number;
  readonly result: "ok" | "FAIL" | "error" | "skip";
  readonly detail?: string;
}

/** One thing to differentiate with respect to: an argument leaf or a variable the step reads. */
interface Target {
  readonly name: string;
  readonly value: NDArray;
  /** f(x) with everything else held at its example value. */
  readonly f: (x: Tensor) => unknown;
}

/** The tools of the graft copy that compiled `rec` (the script's own, when it loaded another copy). */
const kitOf = (rec: CompileRecord): DslKit => (rec.kit as DslKit | undefined) ?? dslKit;

function targets(rec: CompileRecord, wrt: "inputs" | "state" | "all"): { list: Target[]; skipped: { name: string; why: string }[] } {
  const list: Target[] = [];
  const skipped: { name: string; why: string }[] = [];
  const kit = kitOf(rec);
  const leaves = rec.inputs.map((a) => kit.tensor(a));
  const call = (ls: readonly unknown[]): unknown => (rec.step as (...a: unknown[]) => unknown)(...rec.makeArgs(ls));
  const typeOf = (a: NDArray): string => `${a.dtype}[${a.shape.join(",")}]`;
  if (wrt !== "state") {
    rec.inputs.forEach((a, i) => {
      const name = `input ${i} ${typeOf(a)}`;
      if (!isFloat(a.dtype)) return void skipped.push({ name, why: "not a float tensor" });
      list.push({ name, value: a, f: (x) => call(leaves.map((l, k) => (k === i ? x : l))) });
    });
  }
  if (wrt !== "inputs") {
    rec.state.forEach((cell, j) => {
      const a = rec.stateValues?.[j];
      const name = `state ${cell.name} ${a ? typeOf(a) : ""}`.trim();
      if (!a || !isFloat(a.dtype) || !kit.isVariable(cell)) return void skipped.push({ name, why: "not a float variable" });
      // optimizer slots and counters are state too, but nothing is differentiated with respect to them
      if (!cell.trainable) return void skipped.push({ name, why: "not trainable" });
      // reads of the variable inside the step see x: assigning it first, inside the traced
      // check, makes x the value the step starts from
      list.push({ name, value: a, f: (x) => (cell.assign(x), call(leaves)) });
    });
  }
  return { list, skipped };
}

function numberOpt(p: Parsed, key: string): number | undefined {
  const v = p.options[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isFinite(n) || n < 0) throw new CliUsageError(`--${key} needs a non-negative number, got '${String(v)}'`, "gradcheck");
  return n;
}

/** Restores every variable of `rec` to its compile-time value (checks must start from the example). */
function restoreState(rec: CompileRecord): void {
  rec.state.forEach((cell, j) => {
    const a = rec.stateValues?.[j];
    if (a) cell.write({ dtype: a.dtype, shape: [...a.shape], data: a.data.slice() });
  });
}

/** A GraftError of any copy of graft (the script's may not be the CLI's: see kitOf). */
const isGraftError = (e: unknown): e is Error & { code: string; detail: string } =>
  e instanceof Error && typeof (e as { code?: unknown }).code === "string" && typeof (e as { detail?: unknown }).detail === "string";

function checkOne(rec: CompileRecord, t: Target, opts: CheckGradsOptions): Row {
  const base = { fn: rec.fnName, sig: rec.sigIndex, input: t.name };
  restoreState(rec);
  try {
    const kit = kitOf(rec);
    const r = kit.checkGrads(t.f as never, [kit.tensor(t.value)], opts);
    return { ...base, abs: r.maxAbsErr, rel: r.maxRelErr, result: "ok" };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const mismatch = isGraftError(e) && msg.startsWith("checkGrads: analytic and numeric gradients differ");
    if (!mismatch) {
      if (isGraftError(e) && /no float tensor/.test(msg)) return { ...base, result: "skip", detail: "returns no float tensor" };
      return { ...base, result: "error", detail: msg };
    }
    // the report lists the worst mismatches first: their largest errors go in the table
    const errs = [...msg.matchAll(/abs error (\S+)\s+rel error (\S+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    const abs = errs.length ? Math.max(...errs.map((e) => e[0])) : undefined;
    const rel = errs.length ? Math.max(...errs.map((e) => e[1])) : undefined;
    return { ...base, abs, rel, result: "FAIL", detail: msg };
  } finally {
    restoreState(rec);
  }
}

/** "input 1 i32[128] (not a float tensor); 13 not trainable: Adam/iterations, ..." */
function skippedText(skipped: readonly { name: string; why: string }[]): string {
  const byWhy = new Map<string, string[]>();
  for (const { name, why } of skipped) byWhy.set(why, [...(byWhy.get(why) ?? []), name]);
  return [...byWhy].map(([why, names]) => {
    if (names.length === 1) return `${names[0]} (${why})`;
    const shown = names.slice(0, 3).map((n) => n.replace(/ \S+\[[\d,]*\]$/, "")).join(", ");
    return `${names.length} ${why}: ${shown}${names.length > 3 ? `, ... ${names.length - 3} more` : ""}`;
  }).join("; ");
}

const num = (x: number | undefined): string => (x === undefined ? "-" : x === 0 ? "0" : x.toExponential(2));

/** The table: fixed-width columns, one row per checked input. */
export function formatTable(rows: readonly Row[]): string {
  const cells = [["fn", "trace", "input", "max abs err", "max rel err", "result"], ...rows.map((r) => [r.fn, `#${r.sig}`, r.input, num(r.abs), num(r.rel), r.result])];
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  return cells.map((row) => row.map((cell, c) => (c === 3 || c === 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd()).join("\n");
}

export async function gradcheckCommand(p: Parsed): Promise<number> {
  const script = resolveScript("gradcheck", p.positional[0]);
  const wrt = oneOf("gradcheck", "wrt value", (p.options.wrt as string | undefined) ?? "all", ["inputs", "state", "all"] as const);
  const order = p.options.order === undefined ? 1 : Number(oneOf("gradcheck", "order", p.options.order as string, ["1", "2"] as const));
  const mode = oneOf("gradcheck", "mode", (p.options.mode as string | undefined) ?? "auto", ["auto", "full", "random"] as const);
  const opts: CheckGradsOptions = { order: order as 1 | 2, mode, eps: numberOpt(p, "eps"), atol: numberOpt(p, "atol"), rtol: numberOpt(p, "rtol") };
  for (const k of ["eps", "atol", "rtol"] as const) if (opts[k] === undefined) delete (opts as Record<string, unknown>)[k];
  const s = await runDumped(script, { argv: p.rest });
  try {
    const picked = selectSig("gradcheck", selectFn("gradcheck", s.entries, p.options.fn as string | undefined), p.options.sig as string | undefined);
    // in the dump's order (by function, then trace), as dump and explain list them
    const key = (stem: string, sig: number): string => `${stem}#${sig}`;
    const byKey = new Map(s.records.map((r) => [key(stemFor(s.dir, r), r.sigIndex), r]));
    const recs = picked.flatMap((e) => byKey.get(key(e.stem, e.sig)) ?? []);
    const work = recs.map((rec) => ({ rec, ...targets(rec, wrt) }));
    const rows: Row[] = [];
    const bar = progress("gradcheck", work.reduce((n, w) => n + w.list.length, 0));
    for (const w of work) {
      for (const [i, t] of w.list.entries()) {
        const row = checkOne(w.rec, t, opts);
        bar.tick(1, `${w.rec.fnName} #${w.rec.sigIndex} ${t.name}`);
        if (row.result !== "skip") {
          rows.push(row);
          continue;
        }
        // nothing to differentiate in this function at all: one row says so
        rows.push({ ...row, input: `(${row.detail})` });
        bar.tick(w.list.length - i - 1);
        break;
      }
    }
    bar.done("");
    const bad = rows.filter((r) => r.result === "FAIL" || r.result === "error");
    const out = [formatTable(rows)];
    const notChecked = work.filter((w) => w.skipped.length).map((w) => `  ${w.rec.fnName} #${w.rec.sigIndex}: ${skippedText(w.skipped)}`);
    if (notChecked.length) out.push("", "not checked:", ...notChecked);
    for (const r of bad) out.push("", `${r.result}: ${r.fn} #${r.sig} ${r.input}`, r.detail ?? "");
    const checked = rows.filter((r) => r.result === "ok" || r.result === "FAIL").length;
    out.push("", bad.length ? `${bad.length} of ${checked + rows.filter((r) => r.result === "error").length} checks failed` : `all ${checked} checks passed`);
    cliOut(out.join("\n") + "\n");
    return bad.length ? EXIT.checkFailed : EXIT.ok;
  } finally {
    s.cleanup();
  }
}
