/** @file A small progress indicator for long runs (training demo, benchmarks, gradcheck): a live bar on a TTY, sparse lines otherwise. */

export interface ProgressOptions {
  /** Where to write (default process.stderr, so stdout stays clean for results). */
  readonly stream?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Force the live bar on or off (default: the stream is a TTY and GRAFT_PROGRESS is not 0). */
  readonly live?: boolean;
  /** Lines printed when not live, at evenly spaced fractions (default 4: 25%, 50%, 75%, 100%). */
  readonly lines?: number;
  /** Injected clock, for tests (ms). */
  readonly now?: () => number;
}

export interface Progress {
  /** Advances by `n` steps; `note` replaces the text after the bar (e.g. "loss 0.231"). */
  tick(n?: number, note?: string): void;
  /** Sets the note without advancing. */
  note(text: string): void;
  /** Erases a live bar so a log line can be printed; the next tick draws it again. */
  clear(): void;
  /** Finishes: a live bar is replaced by one final line. */
  done(note?: string): void;
}

const fmtTime = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
};

/**
 * `total` steps labelled `label`. On a TTY it redraws one line at most ~10 times a second
 * (`label [=====>    ] 37/100 0:12 eta 0:20 note`); into a file or pipe it prints only a few
 * lines, so logs stay readable. GRAFT_PROGRESS=0 silences it (GRAFT_PROGRESS=1 forces lines).
 */
export function progress(label: string, total: number, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const env = process.env.GRAFT_PROGRESS;
  const silent = env === "0" && opts.live === undefined;
  const live = opts.live ?? (!!stream.isTTY && env !== "1");
  const now = opts.now ?? Date.now;
  const start = now();
  const lines = Math.max(1, opts.lines ?? 4);
  let count = 0;
  let text = "";
  let lastDraw = -Infinity;
  let printed = 0;
  let finished = false;

  const status = (): { frac: number; line: string } => {
    const frac = total > 0 ? Math.min(1, count / total) : 1;
    const elapsed = now() - start;
    const eta = count > 0 && count < total ? ` eta ${fmtTime((elapsed / count) * (total - count))}` : "";
    return { frac, line: `${count}/${total} ${fmtTime(elapsed)}${eta}${text ? ` ${text}` : ""}` };
  };
  const draw = (force: boolean): void => {
    if (silent || finished) return;
    const { frac, line } = status();
    if (live) {
      const t = now();
      if (!force && t - lastDraw < 100) return;
      lastDraw = t;
      const width = 24;
      const filled = Math.round(frac * width);
      const bar = `[${"=".repeat(Math.max(0, filled - 1))}${filled > 0 ? (filled === width ? "=" : ">") : ""}${" ".repeat(width - filled)}]`;
      const full = `${label} ${bar} ${line}`;
      const cols = (stream as { columns?: number }).columns ?? 100;
      stream.write(`\r${full.length > cols - 1 ? full.slice(0, cols - 1) : full}\x1b[K`);
      return;
    }
    // not a TTY: one line each time another 1/lines of the work is done
    const due = Math.floor(frac * lines + 1e-9);
    if (due > printed || force) {
      printed = Math.max(printed, due);
      stream.write(`${label}: ${Math.round(frac * 100)}% ${line}\n`);
    }
  };

  return {
    tick(n = 1, note?: string) {
      count += n;
      if (note !== undefined) text = note;
      draw(false);
    },
    note(t: string) {
      text = t;
      draw(false);
    },
    clear() {
      if (live && !silent && !finished) {
        stream.write("\r\x1b[K");
        lastDraw = -Infinity;
      }
    },
    done(note?: string) {
      if (note !== undefined) text = note;
      if (silent || finished) return;
      if (live) {
        draw(true);
        stream.write("\n");
      } else if (printed < lines) draw(true);
      finished = true;
    },
  };
}
