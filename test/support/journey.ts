/** The visitor journey the tests and benchmarks run (no test framework here: benchmarks use it too). */

/** The whole journey: greeting, five answers, contact, demo, CTA (115 points, completed). */
export const JOURNEY: [string, Record<string, unknown>][] = [
  ['visitor:reply', { optionIds: ['yes'] }],
  ['visitor:reply', { optionIds: ['kirana_retail'] }],
  ['visitor:reply', { text: 'Indore, Madhya Pradesh' }],
  ['visitor:reply', { optionIds: ['two_to_five'] }],
  ['visitor:reply', { optionIds: ['50k_2l'] }],
  ['visitor:reply', { optionIds: ['billing', 'inventory'] }],
  ['visitor:contact', { name: 'Ravi', phone: '98765 43210' }],
  ['visitor:action', { action: 'clicked_demo' }],
  ['visitor:reply', { optionIds: ['talk_to_sales'] }],
];
export const JOURNEY_SCORE = 115;
