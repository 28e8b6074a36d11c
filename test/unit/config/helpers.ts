import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { SpendflowError } from '../../../src/errors.ts';

/** Writes `text` to a new file in a fresh temp directory and returns its path. */
export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'spendflow-config-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs `fn`, expects it to throw CONFIG_INVALID, and returns the error. */
export function configError(fn: () => unknown): SpendflowError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SpendflowError);
  const err = caught as SpendflowError;
  expect(err.code).toBe('CONFIG_INVALID');
  return err;
}
