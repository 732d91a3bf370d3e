import type { ChatClientToServerEvents, PayloadOf } from '../../src/protocol/index.js';

/** The visitor journey the tests and benchmarks run (no test framework here: benchmarks use it too). */

/** The visitor events that are acknowledged. */
export type VisitorEvent = 'visitor:reply' | 'visitor:contact' | 'visitor:action';

/** A visitor event's payload, before the sender adds the clientMessageId. */
export type StepPayload = {
  [E in VisitorEvent]: Omit<PayloadOf<ChatClientToServerEvents, E>, 'clientMessageId'>;
}[VisitorEvent];

/** One step of a visitor: an acknowledged event and its payload. */
export type VisitorStep = [event: VisitorEvent, payload: StepPayload];

/** The whole journey: greeting, five answers, contact, demo, CTA (115 points, completed). */
export const JOURNEY: VisitorStep[] = [
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

/** Asha's answers as her lead stores them, the same in every full journey (the business type is each one's own). */
export const ASHA = {
  name: 'Asha Rao',
  email: 'asha@example.com',
  phone: '+919876543210',
  location: 'Koramangala, Bengaluru',
  features_interested: ['QR Payments', 'Inventory'],
};

/** Asha's lead row once her journey has completed as SQL with 110 points, plus `more`. */
export function ashaCompletedRow(more: Record<string, unknown>) {
  return { score: 110, classification: 'SQL', state: 'completed', ...ASHA, ...more };
}
