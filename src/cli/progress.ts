/**
 * Progress of long CLI work (fit, evaluate) on stderr: a bar redrawn in place when stderr is a
 * terminal, a plain line every ~10% otherwise (so logs and CI output stay readable), nothing when
 * quiet. stdout stays free for the result (a report or JSON).
 */
import type { CliIo } from './index.ts';

export class Progress {
  private lastDecile = -1;
  private finished = false;
  private readonly tty: boolean;

  constructor(
    private readonly io: CliIo,
    /** Prefix of the plain lines, e.g. `fit`. */
    private readonly name: string,
    /** What is counted, e.g. `steps` or `runs`. */
    private readonly unit: string,
    private readonly quiet: boolean,
  ) {
    this.tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  }

  /** Shows `done` of `total` with what is being done now. */
  update(done: number, total: number, label: string): void {
    if (this.quiet || this.finished) return;
    const safeTotal = Math.max(1, total);
    if (this.tty) {
      const width = 30;
      const filled = Math.min(width, Math.round((width * done) / safeTotal));
      this.io.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${this.unit}  ${label.padEnd(40).slice(0, 40)}`);
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
