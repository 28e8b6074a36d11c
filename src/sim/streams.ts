/**
 * Seeded sub-streams for the simulator, one per label (e.g. `sim:<portfolio>:sales`).
 *
 * The seed goes into the hashed text rather than hashSeed's numeric argument: hashSeed XORs
 * Math.floor(seed) into the state and then hashes `${seed}:…`, and for seeds 0..9 the first
 * character cancels that XOR (d ^ charCode(d) = 48), so `hashSeed(d, label)` is the same for every
 * single-digit d. Hashing the text `${seed}|${label}` keeps distinct seeds (also fractional ones)
 * distinct.
 */
import { hashSeed, seededRandom, type Random } from '../random.ts';

export function subStream(seed: number, label: string): Random {
  return seededRandom(hashSeed(0, `${seed}|${label}`));
}
