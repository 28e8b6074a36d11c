/**
 * Tightening the certificate for S-shaped channels at a fixed total spend. The root relaxation
 * replaces each S curve by its concave envelope; where the answer sits on a straight stretch the
 * envelope overstates the curve and the bound is loose. Best-first branch and bound splits such a
 * channel's box at its inflection point (convex part / concave part), then, inside a convex part,
 * at the point the relaxation chose: every child's envelope is closer to the curve, so its dual
 * bound is lower. The certified bound is the largest bound of any unexplored node (or the best
 * allocation found, if larger). Each node's relaxed answer, polished, is a feasible candidate.
 */
import { curveInflection, curveValue } from '../model/curves/registry.ts';
import { envelopeValue } from './channel-shape.ts';
import { dualBound, solveEnvelope } from './envelope-solve.ts';
import type { Prepared } from './prepare.ts';
import { polishWithinClasses, trueValue, withBoxes } from './recover.ts';

interface Node {
  readonly boxes: Map<number, readonly [number, number]>;
  readonly bound: number;
  readonly x: Float64Array;
  readonly prep: Prepared;
}

export interface BranchResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly upperBound: number;
  readonly nodes: number;
}

function nodeLimit(n: number): number {
  if (n <= 30) return 200;
  if (n <= 200) return 40;
  return 0;
}

export function branchAndBound(prep: Prepared, total: number, start: { x: Float64Array; value: number }, price: number): BranchResult {
  const terms = { w: 1, c: 0, budget: total, equality: true, nu: 0, r: 0 };
  let best = start.x;
  let bestValue = start.value;
  let improved = false;
  let nodes = 0;
  const evaluate = (boxes: Map<number, readonly [number, number]>): Node | null => {
    const p = boxes.size === 0 ? prep : withBoxes(prep, boxes);
    const tol = 1e-9 * Math.max(1, total);
    if (!p || total < p.minSpend - tol || total > p.maxSpend + tol) return null;
    nodes++;
    const env = solveEnvelope(p, total, price);
    // The node's relaxed answer is feasible for the whole problem; it is polished once, at the
    // end, if it wins (polishing every node would cost more than the nodes themselves).
    const value = trueValue(prep, env.x);
    if (value > bestValue) {
      best = env.x;
      bestValue = value;
      improved = true;
    }
    return { boxes, bound: dualBound(p, env, terms), x: env.x, prep: p };
  };
  const limit = nodeLimit(prep.shapes.length);
  // Too large to branch: the root relaxation's bound (computed by the caller) is the certificate.
  if (limit === 0) return { x: best, value: bestValue, upperBound: Infinity, nodes };
  const root = evaluate(new Map());
  if (!root) return { x: best, value: bestValue, upperBound: Infinity, nodes };
  const open: Node[] = [root];
  const stuck: Node[] = [];
  const done = () => {
    const top = [...open, ...stuck].reduce((m, nd) => Math.max(m, nd.bound), -Infinity);
    return top - bestValue <= 1e-7 * Math.max(1, Math.abs(bestValue));
  };
  while (open.length > 0 && nodes < limit && !done()) {
    open.sort((a, b) => b.bound - a.bound);
    const node = open.shift()!;
    // Branch on the channel whose envelope overstates its curve the most at the relaxed answer.
    let pick = -1;
    let worst = 1e-12 * Math.max(1, Math.abs(bestValue));
    node.prep.shapes.forEach((sh, i) => {
      if (sh.kind === 'concave') return;
      const over = envelopeValue(sh, node.x[i]!) - curveValue(sh.curve, node.x[i]!);
      if (over > worst) {
        worst = over;
        pick = i;
      }
    });
    if (pick < 0) {
      // Nothing left to branch on: the node's own dual bound stands (it is not replaced by the
      // primal value, which would certify an answer the relaxation did not prove).
      stuck.push(node);
      continue;
    }
    const sh = node.prep.shapes[pick]!;
    const inflection = curveInflection(sh.curve);
    const at = inflection > sh.lo && inflection < sh.hi ? inflection : node.x[pick]! > sh.lo && node.x[pick]! < sh.hi ? node.x[pick]! : (sh.lo + sh.hi) / 2;
    for (const box of [[sh.lo, at], [at, sh.hi]] as const) {
      const child = evaluate(new Map([...node.boxes, [pick, box]]));
      if (child && child.bound > bestValue) open.push(child);
    }
  }
  if (improved) {
    const polished = polishWithinClasses(prep, best);
    const v = trueValue(prep, polished);
    if (v >= bestValue) {
      best = polished;
      bestValue = v;
    }
  }
  const openBound = [...open, ...stuck].reduce((m, nd) => Math.max(m, nd.bound), -Infinity);
  return { x: best, value: bestValue, upperBound: Math.max(openBound, bestValue), nodes };
}
