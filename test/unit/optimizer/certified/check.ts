/**
 * Independent checks of an allocation against the problem as stated: every constraint recomputed
 * from the allocation with `curveValue` (nothing from src/optimizer but the types).
 */
import { curveValue } from '../../../../src/model/curves/registry.ts';
import type { AllocationProblem, AllocationResult } from '../../../../src/optimizer/problem.ts';

export interface Recomputed {
  readonly spend: number;
  readonly response: number;
  readonly objective: number;
}

export function recompute(problem: AllocationProblem, allocation: Readonly<Record<string, number>>): Recomputed {
  let spend = 0;
  let response = 0;
  for (const c of problem.channels) {
    const x = allocation[c.id] ?? NaN;
    spend += x;
    response += curveValue(c.curve, x);
  }
  const objective = (problem.objective ?? 'revenue') === 'profit' ? (problem.margin ?? NaN) * response - spend : response;
  return { spend, response, objective };
}

/** Every constraint the allocation breaks by more than `tol` (spend units), as readable strings. */
export function violations(problem: AllocationProblem, allocation: Readonly<Record<string, number>>, tol: number): string[] {
  const out: string[] = [];
  const ids = new Set(problem.channels.map((c) => c.id));
  for (const key of Object.keys(allocation)) if (!ids.has(key)) out.push(`allocation has unknown channel ${key}`);
  for (const c of problem.channels) {
    const x = allocation[c.id];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      out.push(`allocation[${c.id}] = ${String(x)} is not a finite number`);
      continue;
    }
    if (x < c.min - tol) out.push(`min:${c.id}: ${x} < ${c.min}`);
    if (x > c.max + tol) out.push(`max:${c.id}: ${x} > ${c.max}`);
    const band = problem.maxChange;
    if (band !== undefined && band !== null && c.current !== undefined) {
      const down = c.current * (1 - band);
      const up = c.current * (1 + band);
      if (x < down - tol || x > up + tol) out.push(`maxChange:${c.id}: ${x} outside [${down}, ${up}]`);
    }
    if (c.locked && Math.abs(x - (c.current ?? NaN)) > tol) out.push(`locked:${c.id}: ${x} ≠ current ${String(c.current)}`);
  }
  for (const g of problem.groups ?? []) {
    const total = problem.channels.reduce((s, c) => (c.group === g.id ? s + (allocation[c.id] ?? NaN) : s), 0);
    if (g.min !== undefined && total < g.min - tol) out.push(`groupMin:${g.id}: ${total} < ${g.min}`);
    if (g.max !== undefined && total > g.max + tol) out.push(`groupMax:${g.id}: ${total} > ${g.max}`);
  }
  const { spend, response } = recompute(problem, allocation);
  const exact = (problem.objective ?? 'revenue') === 'revenue' && (problem.minRoas ?? null) === null;
  if (exact && Math.abs(spend - problem.budget) > tol) out.push(`budget: Σx = ${spend} ≠ ${problem.budget}`);
  if (!exact && spend > problem.budget + tol) out.push(`budget: Σx = ${spend} > ${problem.budget}`);
  const r = problem.minRoas ?? null;
  if (r !== null && response < r * spend - r * tol) out.push(`minRoas: Σf = ${response} < ${r}·Σx = ${r * spend}`);
  return out;
}

/**
 * Entries of `binding` that are unknown or do not hold with equality (within `tol`) at the
 * allocation: the contract says `binding` lists constraints that hold with equality.
 */
export function unsoundBinding(problem: AllocationProblem, result: AllocationResult, tol: number): string[] {
  const out: string[] = [];
  const x = (id: string) => result.allocation[id] ?? NaN;
  const channel = (id: string) => problem.channels.find((c) => c.id === id);
  const group = (id: string) => (problem.groups ?? []).find((g) => g.id === id);
  const { spend, response } = recompute(problem, result.allocation);
  for (const entry of result.binding) {
    const colon = entry.indexOf(':');
    const kind = colon < 0 ? entry : entry.slice(0, colon);
    const id = colon < 0 ? '' : entry.slice(colon + 1);
    let tight: boolean | null = null;
    if (kind === 'budget' && id === '') tight = Math.abs(spend - problem.budget) <= tol;
    else if (kind === 'minRoas' && id === '') {
      const r = problem.minRoas ?? null;
      tight = r !== null && Math.abs(response - r * spend) <= r * tol;
    } else if (kind === 'min' && channel(id)) tight = Math.abs(x(id) - channel(id)!.min) <= tol;
    else if (kind === 'max' && channel(id)) tight = Math.abs(x(id) - channel(id)!.max) <= tol;
    else if (kind === 'maxChange' && channel(id)) {
      const c = channel(id)!;
      const band = problem.maxChange ?? null;
      tight = band !== null && c.current !== undefined &&
        Math.min(Math.abs(x(id) - c.current * (1 - band)), Math.abs(x(id) - c.current * (1 + band))) <= tol;
    } else if (kind === 'locked' && channel(id)) tight = channel(id)!.locked === true && Math.abs(x(id) - (channel(id)!.current ?? NaN)) <= tol;
    else if ((kind === 'groupMin' || kind === 'groupMax') && group(id)) {
      const g = group(id)!;
      const total = problem.channels.reduce((s, c) => (c.group === id ? s + x(c.id) : s), 0);
      const bound = kind === 'groupMin' ? g.min : g.max;
      tight = bound !== undefined && Math.abs(total - bound) <= tol;
    }
    if (tight === null) out.push(`binding lists unknown constraint ${entry}`);
    else if (!tight) out.push(`binding lists ${entry}, which does not hold with equality`);
  }
  return out;
}

/** Paths of every NaN number inside `value` (objects and arrays walked recursively). */
export function nanPaths(value: unknown, path = 'result'): string[] {
  if (typeof value === 'number') return Number.isNaN(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => nanPaths(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => nanPaths(v, `${path}.${k}`));
  }
  return [];
}

/** JSON with ±Infinity and NaN kept (as strings), for failure messages that reproduce a case. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

export const problemJson = (problem: AllocationProblem): string => toJson(problem);

export const relDiff = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
