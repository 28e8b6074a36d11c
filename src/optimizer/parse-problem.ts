/**
 * Reads an allocation problem from untrusted JSON (a CLI file, an HTTP body) and names every bad
 * field at once: `channels[2].curve.k: must be a finite number > 0`.
 */
import { SpendflowError, type FieldProblem } from '../errors.ts';
import { FieldReader, IDENTIFIER, isPlainObject } from '../events/fields.ts';
import { parseCurve } from '../model/curves/registry.ts';
import type { AllocationProblem, ChannelProblem, GroupConstraint } from './problem.ts';

const TOP = ['budget', 'objective', 'channels', 'groups', 'maxChange', 'minRoas', 'margin'] as const;
const CHANNEL = ['id', 'curve', 'min', 'max', 'current', 'locked', 'group'] as const;
const GROUP = ['id', 'min', 'max'] as const;

function nullable(r: FieldReader, raw: Record<string, unknown>, name: string, opts: { min?: number; max?: number }): number | null | undefined {
  return raw[name] === null ? null : r.number(name, { optional: true, ...opts });
}

export function parseAllocationProblem(input: unknown): AllocationProblem {
  if (!isPlainObject(input)) throw new SpendflowError('INPUT_INVALID', 'invalid problem', { problems: [{ field: '(root)', message: 'must be a JSON object' }] });
  const r = new FieldReader(input);
  const problems: FieldProblem[] = [];
  const budget = r.number('budget', { min: 0 });
  const objective = input['objective'] ?? 'revenue';
  if (objective !== 'revenue' && objective !== 'profit') problems.push({ field: 'objective', message: 'must be "revenue" or "profit"' });
  const maxChange = nullable(r, input, 'maxChange', { min: 0, max: 1 });
  const minRoas = nullable(r, input, 'minRoas', { min: 0 });
  const margin = nullable(r, input, 'margin', { min: 0 });
  if (objective === 'profit' && !(typeof margin === 'number' && margin > 0)) problems.push({ field: 'margin', message: 'the profit objective needs a margin > 0' });
  r.rejectUnknown(TOP);

  const channels: ChannelProblem[] = [];
  const rawChannels = input['channels'];
  if (!Array.isArray(rawChannels) || rawChannels.length === 0) problems.push({ field: 'channels', message: 'must be a non-empty array' });
  const ids = new Set<string>();
  (Array.isArray(rawChannels) ? rawChannels : []).forEach((item: unknown, i) => {
    const path = `channels[${i}]`;
    if (!isPlainObject(item)) {
      problems.push({ field: path, message: 'must be an object' });
      return;
    }
    const c = new FieldReader(item, path);
    const id = c.string('id', { pattern: IDENTIFIER });
    if (id !== undefined && ids.has(id)) problems.push({ field: `${path}.id`, message: `duplicates another channel's id "${id}"` });
    if (id !== undefined) ids.add(id);
    const curve = parseCurve(item['curve'], `${path}.curve`);
    problems.push(...curve.problems);
    const min = c.number('min', { optional: true, min: 0 }) ?? 0;
    const max = item['max'] === null ? Infinity : (c.number('max', { optional: true, min: 0 }) ?? Infinity);
    const current = c.number('current', { optional: true, min: 0 });
    const locked = item['locked'];
    if (locked !== undefined && typeof locked !== 'boolean') problems.push({ field: `${path}.locked`, message: 'must be true or false' });
    if (locked === true && current === undefined) problems.push({ field: `${path}.current`, message: 'is required when the channel is locked' });
    const group = c.string('group', { optional: true, pattern: IDENTIFIER });
    c.rejectUnknown(CHANNEL);
    problems.push(...c.problems);
    if (id !== undefined && curve.curve) {
      channels.push({
        id,
        curve: curve.curve,
        min,
        max,
        ...(current === undefined ? {} : { current }),
        ...(locked === true ? { locked: true } : {}),
        ...(group === undefined ? {} : { group }),
      });
    }
  });

  const groups: GroupConstraint[] = [];
  const rawGroups = input['groups'] ?? [];
  if (!Array.isArray(rawGroups)) problems.push({ field: 'groups', message: 'must be an array' });
  const groupIds = new Set<string>();
  (Array.isArray(rawGroups) ? rawGroups : []).forEach((item: unknown, j) => {
    const path = `groups[${j}]`;
    if (!isPlainObject(item)) {
      problems.push({ field: path, message: 'must be an object' });
      return;
    }
    const g = new FieldReader(item, path);
    const id = g.string('id', { pattern: IDENTIFIER });
    const min = g.number('min', { optional: true, min: 0 });
    const max = item['max'] === null ? undefined : g.number('max', { optional: true, min: 0 });
    g.rejectUnknown(GROUP);
    problems.push(...g.problems);
    if (id !== undefined && groupIds.has(id)) problems.push({ field: `${path}.id`, message: `duplicates another group's id "${id}"` });
    if (id !== undefined) {
      groupIds.add(id);
      groups.push({ id, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) });
    }
  });
  channels.forEach((ch, i) => {
    if (ch.group !== undefined && !groupIds.has(ch.group)) problems.push({ field: `channels[${i}].group`, message: `no group "${ch.group}" in groups` });
  });
  problems.push(...r.problems);
  if (problems.length > 0) {
    throw new SpendflowError('INPUT_INVALID', `invalid problem (${problems.length === 1 ? '1 problem' : `${problems.length} problems`}):`, { problems });
  }
  return {
    budget: budget!,
    objective: objective as 'revenue' | 'profit',
    channels,
    groups,
    ...(maxChange == null ? {} : { maxChange }),
    ...(minRoas == null ? {} : { minRoas }),
    ...(margin == null ? {} : { margin }),
  };
}
