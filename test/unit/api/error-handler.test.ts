import { describe, expect, it } from 'vitest';
import { fieldPath, formatValidationErrors, statusOf, validationProblem } from '../../../src/api/error-handler.ts';
import { isSpendflowError } from '../../../src/errors.ts';

const ajv = (keyword: string, instancePath: string, params: Record<string, unknown> = {}, message = 'must be number') => ({ keyword, instancePath, schemaPath: '#', params, message });

describe('validation errors name the field like the config validator does', () => {
  it('fieldPath', () => {
    expect(fieldPath('')).toBe('');
    expect(fieldPath('/budget')).toBe('budget');
    expect(fieldPath('/channels/1/max')).toBe('channels[1].max');
    expect(fieldPath('/0/id')).toBe('[0].id');
    expect(fieldPath('/budgets/a~1b')).toBe('budgets.a/b');
  });

  it('required and additionalProperties name the property; the root is (root)', () => {
    expect(validationProblem(ajv('required', '/channels/0', { missingProperty: 'platform' }, "must have required property 'platform'"))).toEqual({ field: 'channels[0].platform', message: 'is required' });
    expect(validationProblem(ajv('additionalProperties', '', { additionalProperty: 'colour' }))).toEqual({ field: 'colour', message: 'is not a known field' });
    expect(validationProblem(ajv('type', '', {}, 'must be object'))).toEqual({ field: '(root)', message: 'must be object' });
    expect(validationProblem(ajv('enum', '/status', { allowedValues: ['a', 'b'] }))).toEqual({ field: 'status', message: 'must be one of a, b' });
  });

  it('formatValidationErrors gives an INPUT_INVALID error (400) saying where', () => {
    const err = formatValidationErrors([ajv('type', '/points', {}, 'must be integer')], 'querystring');
    expect(isSpendflowError(err) && err.code).toBe('INPUT_INVALID');
    expect(err.message).toBe('invalid request: query parameter points must be integer');
    expect(statusOf('INPUT_INVALID')).toBe(400);
    expect(statusOf('NOT_OWNER')).toBe(409);
    expect(statusOf('VERSION_CONFLICT')).toBe(409);
    expect(statusOf('UNAUTHORIZED')).toBe(401);
    expect(statusOf('FORBIDDEN')).toBe(403);
    expect(statusOf('STATE_INVALID')).toBe(500);
  });
});
