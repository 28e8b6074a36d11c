/**
 * Progress of long CLI work (fit, evaluate, simulate) on stderr: a bar redrawn in place, with the
 * time left, when stderr is a terminal; a plain line every ~10% otherwise (so logs and CI output
 * stay readable); nothing when quiet. stdout stays free for the result (a report, JSON or NDJSON
 * events), so a bar never ends up inside piped output.
 */
import type { CliIo } from './index.ts';

export class Progress {
  private lastDecile = -1;
  private finished = false;
  private readonly tty: boolean;
  private readonly started: number;

  constructor(
    private readonly io: CliIo,
    /** Prefix of the plain lines, e.g. `fit`. */
    private readonly name: string,
    /** What is counted, e.g. `steps` or `runs`. */
    private readonly unit: string,
    private readonly quiet: boolean,
    /** Milliseconds, for the time left. */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
    this.started = now();
  }

  /** `12s left`, `3m 05s left`, or '' before there is anything to extrapolate from. */
  private timeLeft(done: number, total: number): string {
    if (done <= 0 || done >= total) return '';
    const elapsed = this.now() - this.started;
    const seconds = Math.round((elapsed * (total - done)) / done / 1000);
    if (seconds < 60) return `${seconds}s left`;
    return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s left`;
  }

  /** Shows `done` of `total` with what is being done now. */
  update(done: number, total: number, label: string): void {
    if (this.quiet || this.finished) return;
    const safeTotal = Math.max(1, total);
    if (this.tty) {
      const width = 30;
      const filled = Math.min(width, Math.round((width * done) / safeTotal));
      const left = this.timeLeft(done, total).padEnd(13);
      this.io.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${this.unit}  ${left} ${label.padEnd(40).slice(0, 40)}`);
      if (done >= total) {
        this.io.stderr.write('\n');
        this.finished = true;
      }
      return;
    }
    const decile = Math.floor((10 * done) / safeTotal);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.io.stderr.write(`${this.name}: ${Math.round((100 * done) / safeTotal)}% (${done}/${total} ${this.unit}) ${label}\n`);
      if (done >= total) this.finished = true;
    }
  }

  /** A message of its own line (never inside the bar). */
  note(text: string): void {
    if (!this.quiet) this.io.stderr.write(`${this.tty ? '\n' : ''}${this.name}: ${text}\n`);
  }
}
