/**
 * Under vitest, vite resolves tfjs-core's extensionless imports; a CLI runs under plain Node (via
 * tsx), where only the runtime hook makes the gradient registrations load. This runs the backend
 * set-up in such a process: it must start a backend and pass its own gradient check.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('fit backend outside vitest', () => {
  it('starts a tfjs backend with working gradients under plain Node + tsx', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', resolve(ROOT, 'test/support/fixtures/fit-backend-plain-node.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/backend:(wasm|cpu|tensorflow)/);
  }, 70_000);
});
