/** Statistics for A/B results: Wilson score intervals and the two-proportion z-test. Pure. */

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/** The standard normal CDF, via erf (Abramowitz & Stegun 7.1.26, absolute error < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The Wilson score interval of `successes` out of `n` (both 0 for n = 0). */
export function wilson(successes: number, n: number, z = Z95): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 0 };
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/**
 * Two-proportion z-test (pooled) of variant B against control A. Returns z and the two-sided p-value;
 * null when it cannot be computed (an empty group, or no variance at all).
 */
export function twoProportionZTest(
  xA: number,
  nA: number,
  xB: number,
  nB: number,
): { z: number; pValue: number } | null {
  if (nA === 0 || nB === 0) return null;
  const pooled = (xA + xB) / (nA + nB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  if (se === 0) return null;
  const z = (xB / nB - xA / nA) / se;
  return { z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}
