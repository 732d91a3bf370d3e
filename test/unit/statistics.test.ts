import { describe, expect, it } from 'vitest';
import { normalCdf, twoProportionZTest, wilson } from '../../src/experiments/statistics.js';

describe('A/B statistics against hand-computed values', () => {
  it('normal CDF', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021, 6);
    expect(normalCdf(-1.96)).toBeCloseTo(0.0249979, 6);
    expect(normalCdf(2.5758293)).toBeCloseTo(0.995, 6);
  });

  it('Wilson 95 % interval', () => {
    // 45 of 100: p = .45; z² = 3.8415; centre = (.45 + .019207)/1.038415 = .451849;
    // half = 1.96·sqrt(.002475 + .000096)/1.038415 = .095689 → [.356160, .547538]
    const w = wilson(45, 100);
    expect(w.low).toBeCloseTo(0.35616, 4);
    expect(w.high).toBeCloseTo(0.547538, 4);
    // 0 of 10: [0, z²/(n+z²)] = [0, 3.8415/13.8415] = [0, .277533]
    expect(wilson(0, 10).low).toBe(0);
    expect(wilson(0, 10).high).toBeCloseTo(0.277533, 5);
    expect(wilson(0, 0)).toEqual({ low: 0, high: 0 });
  });

  it('two-proportion z-test', () => {
    // A 200/1000, B 250/1000: pooled .225, se = sqrt(.225·.775·.002) = .018675; z = .05/.018675 = 2.6774;
    // p = 2·(1 − Φ(2.6774)) = .007419
    const r = twoProportionZTest(200, 1000, 250, 1000)!;
    expect(r.z).toBeCloseTo(2.6774, 3);
    expect(r.pValue).toBeCloseTo(0.007419, 4);
    // Equal rates: z = 0, p = 1.
    expect(twoProportionZTest(30, 100, 30, 100)!.pValue).toBeCloseTo(1, 6);
    expect(twoProportionZTest(0, 50, 0, 50)).toBeNull();
    expect(twoProportionZTest(1, 0, 1, 10)).toBeNull();
  });
});
