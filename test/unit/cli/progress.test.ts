/** Progress on stderr: a bar redrawn in place on a terminal, a line per ~10% otherwise, nothing when quiet. */
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/index.ts';
import { Progress } from '../../../src/cli/progress.ts';

function io(tty: boolean): { io: CliIo; written: string[] } {
  const written: string[] = [];
  const stderr = Object.assign({ write: (text: string) => written.push(text) > 0 }, tty ? { isTTY: true } : {});
  return { io: { stdout: { write: () => true } as unknown as NodeJS.WritableStream, stderr: stderr as unknown as NodeJS.WritableStream, env: {} }, written };
}

describe('Progress', () => {
  it('writes a plain line at each tenth when stderr is not a terminal', () => {
    const { io: plain, written } = io(false);
    const p = new Progress(plain, 'evaluate', 'runs', false);
    for (let done = 0; done <= 40; done++) p.update(done, 40, `run ${done}`);
    expect(written).toHaveLength(11);
    expect(written[0]).toBe('evaluate: 0% (0/40 runs) run 0\n');
    expect(written.at(-1)).toBe('evaluate: 100% (40/40 runs) run 40\n');
    expect(written.every((w) => !w.includes('\r'))).toBe(true);
  });

  it('redraws one bar in place on a terminal and ends it with a newline', () => {
    const { io: terminal, written } = io(true);
    const p = new Progress(terminal, 'fit', 'steps', false);
    p.update(0, 4, 'cross-validation');
    p.update(2, 4, 'fit');
    p.update(4, 4, 'fit');
    p.update(4, 4, 'fit');
    expect(written.filter((w) => w.startsWith('\r'))).toHaveLength(3);
    expect(written[1]).toContain('[###############...............] 2/4 steps');
    expect(written.at(-1)).toBe('\n');
  });

  it('shows the time left on a terminal, extrapolated from the elapsed time', () => {
    const { io: terminal, written } = io(true);
    let now = 0;
    const p = new Progress(terminal, 'simulate', 'ticks', false, () => now);
    p.update(0, 10, 'start');
    expect(written[0]).not.toContain('left');
    now = 4_000;
    p.update(2, 10, 'running');
    expect(written[1]).toContain('16s left');
    now = 200_000;
    p.update(5, 10, 'running');
    expect(written[2]).toContain('3m 20s left');
    p.update(10, 10, 'done');
    expect(written[3]).not.toContain('left');
  });

  it('is silent when quiet, notes included', () => {
    const { io: plain, written } = io(false);
    const p = new Progress(plain, 'fit', 'steps', true);
    p.update(1, 2, 'x');
    p.note('skipped');
    expect(written).toEqual([]);
  });
});
