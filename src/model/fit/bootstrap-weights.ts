/**
 * Observation weights for a Bayesian-bootstrap ensemble (Rubin 1981): each member weighs the
 * periods by a draw from a flat Dirichlet, i.e. independent Exp(1) variables scaled to mean 1, so
 * the members' fits are (approximately) draws from the posterior of the fitted quantities without
 * any parametric noise model. Weights are drawn per block of `blockLength` consecutive periods
 * (one Exp(1) per block), which keeps the autocorrelation of weekly residuals inside a block
 * rather than pretending every week is independent. Periods outside [0, upTo) get weight 0 (a fit
 * that must not see the hold-out). Seeded (../../random.ts): the same seed gives the same weights.
 */
import { seededRandom } from '../../random.ts';

export function bayesianBootstrapWeights(options: {
  readonly members: number;
  readonly periods: number;
  readonly seed: number;
  readonly blockLength?: number;
  readonly upTo?: number;
}): Float32Array[] {
  const random = seededRandom(options.seed);
  const block = Math.max(1, Math.floor(options.blockLength ?? 1));
  const upTo = Math.min(options.periods, options.upTo ?? options.periods);
  return Array.from({ length: options.members }, () => {
    const weights = new Float32Array(options.periods);
    let sum = 0;
    let draw = 1;
    for (let t = 0; t < upTo; t++) {
      if (t % block === 0) {
        let u = random.next();
        while (u <= 0) u = random.next();
        draw = -Math.log(u);
      }
      weights[t] = draw;
      sum += draw;
    }
    const scale = upTo / sum;
    for (let t = 0; t < upTo; t++) weights[t] = (weights[t] ?? 0) * scale;
    return weights;
  });
}
