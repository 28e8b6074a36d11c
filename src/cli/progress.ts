/**
 * Progress of long CLI work (fit, evaluate) on stderr: a bar redrawn in place when the output is
 * a terminal, a plain line every ~10% otherwise (logs and CI stay readable), nothing when quiet.
 */
import type { CliIo } from './index.ts';

export class Progress {
  private done = 0;
  private lastDecile = -1;
  private finished = false;

  constructor(
    private readonly io: CliIo,
    private readonly name: string,
    private readonly total: number,
    private readonly unit: string,
    private readonly options: { readonly tty: boolean; readonly quiet: boolean },
  ) {}

  /** Whether stdout is a terminal (the bar then goes to stderr of the same terminal). */
  static isTerminal(io: CliIo): boolean {
    return (io.stdout as { isTTY?: boolean }).isTTY === true;
  }

  /** Announces what comes next without advancing. */
  stage(label: string): void {
    if (this.options.quiet) return;
    if (this.options.tty) this.draw(label);
    else this.io.stderr.write(`${this.name}: ${label}…\n`);
  }

  /** Sets the absolute amount done (monotone) and shows it. */
  update(done: number, label: string): void {
    this.advance(Math.max(0, done - this.done), label);
  }

  advance(amount: number, label: string): void {
    this.done = Math.min(this.total, this.done + amount);
    if (this.options.quiet) return;
    if (this.options.tty) {
      this.draw(label);
      if (this.done >= this.total && !this.finished) {
        this.finished = true;
        this.io.stderr.write('\n');
      }
      return;
    }
    const decile = this.total > 0 ? Math.floor((10 * this.done) / this.total) : 10;
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.io.stderr.write(`${this.name}: ${Math.round((100 * this.done) / Math.max(1, this.total))}% (${this.done}/${this.total} ${this.unit}) ${label}\n`);
    }
  }

  private draw(label: string): void {
    const width = 30;
    const filled = this.total > 0 ? Math.round((width * this.done) / this.total) : width;
    this.io.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ${this.unit}  ${label.padEnd(44).slice(0, 44)}`);
  }
}
