/**
 * One error family for spendflow. Every error carries a stable `code` (listed in docs/errors.md,
 * never reused) and whether retrying the same operation can help. Only the ingest stage decides
 * retry vs dead-letter vs crash, and only the API error handler maps codes to HTTP statuses.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'PORTFOLIO_NOT_FOUND'
  | 'ROUTE_NOT_FOUND'
  | 'CURVE_INVALID'
  | 'PROBLEM_INFEASIBLE'
  | 'PUBLISH_FAILED'
  | 'INPUT_INVALID'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'VERSION_CONFLICT'
  | 'NOT_OWNER'
  | 'MODEL_NOT_READY'
  | 'STATE_INVALID'
  | 'TRANSACTION_FAILED'
  | 'INTERNAL';
// Records that cannot be used are not errors here: they go to the dead-letter topic with a
// reason (DeadLetterReason in src/events/types.ts).

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `amount` or `portfolios[0].channels[1].max`. */
  readonly field: string;
  readonly message: string;
}

export class SpendflowError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly problems: readonly FieldProblem[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { retriable?: boolean; problems?: readonly FieldProblem[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SpendflowError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.problems = options.problems ?? [];
  }
}

export function isSpendflowError(err: unknown): err is SpendflowError {
  return err instanceof SpendflowError;
}

/** Renders field problems as one line each: `field: message`. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
