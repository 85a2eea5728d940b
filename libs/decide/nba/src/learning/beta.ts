import type { Random } from './prng';

/** A standard normal sample (Box–Muller; one of the pair). */
export function sampleNormal(rnd: Random): number {
  const u1 = 1 - rnd(); // (0, 1]: the log is finite
  const u2 = rnd();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * A Gamma(shape, 1) sample: Marsaglia & Tsang (2000), "A simple method for generating gamma
 * variables"; for shape < 1 the boost Gamma(a) = Gamma(a + 1) · U^(1/a).
 */
export function sampleGamma(shape: number, rnd: Random): number {
  if (!(shape > 0)) throw new RangeError(`sampleGamma: shape must be positive, got ${shape}`);
  if (shape < 1) return sampleGamma(shape + 1, rnd) * Math.pow(1 - rnd(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(rnd);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rnd();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(alpha, beta) sample, as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). */
export function sampleBeta(alpha: number, beta: number, rnd: Random): number {
  const x = sampleGamma(alpha, rnd);
  const y = sampleGamma(beta, rnd);
  const sum = x + y;
  return sum > 0 ? x / sum : alpha / (alpha + beta);
}
