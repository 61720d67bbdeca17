/** @file A one-line progress bar on stderr, drawn only when stderr is a terminal (logs stay clean). */

export class ProgressBar {
  private readonly tty = !!process.stderr.isTTY;
  private last = 0;
  constructor(
    private readonly total: number | undefined,
    private readonly width = 30,
  ) {}

  /** Redraws at most every 50 ms: `[=======>      ] 32/63 loss 0.3012`. */
  update(done: number, info = ""): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.last < 50 && done !== this.total) return;
    this.last = now;
    const frac = this.total ? Math.min(1, done / this.total) : 0;
    const filled = Math.round(frac * this.width);
    const bar = this.total ? `[${"=".repeat(Math.max(0, filled - 1))}${filled > 0 ? ">" : ""}${" ".repeat(this.width - filled)}]` : "";
    process.stderr.write(`\r${bar} ${done}${this.total ? `/${this.total}` : ""} ${info}\x1b[K`);
  }

  /** Clears the line so the next log line starts clean. */
  done(): void {
    if (this.tty) process.stderr.write("\r\x1b[K");
  }
}
