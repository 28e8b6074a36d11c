import { expect } from 'vitest';
import { isSpendflowError, type ErrorCode, type FieldProblem } from '../../../../src/errors.ts';

/** Runs `action`, expects it to throw a SpendflowError with `code`, and returns its problems. */
export function problemsOf(action: () => unknown, code: ErrorCode = 'INPUT_INVALID'): readonly FieldProblem[] {
  try {
    action();
  } catch (err) {
    if (!isSpendflowError(err)) throw err;
    expect(err.code).toBe(code);
    return err.problems;
  }
  throw new Error('expected a SpendflowError, but nothing was thrown');
}

/** The problems' fields, in order. */
export function fieldsOf(action: () => unknown, code?: ErrorCode): string[] {
  return problemsOf(action, code).map((p) => p.field);
}
