import type { PromptMessage } from './transition.js';
import type { EventResult } from './types.js';

/** What the conversation does after an event, told in one word to a client that renders it. */
export type NextStep =
  /** The bot said something to read (what this is about), then asks `next`. */
  | { kind: 'info'; text: string; next: PromptMessage | null }
  /** The conversation ended (completed or declined), with the bot's last words. */
  | { kind: 'end'; text: string | null }
  /** The bot asks `next` (null while an agent holds the conversation). */
  | { kind: 'continue'; next: PromptMessage | null };

/** The next step, from the event's outcome and the prompts it put. */
export function nextStep(result: Pick<EventResult, 'state' | 'prompts'>): NextStep {
  const next = result.prompts.findLast((p) => p.input !== 'none') ?? null;
  if (result.state === 'completed' || result.state === 'declined') {
    return { kind: 'end', text: result.prompts.findLast((p) => p.step === result.state)?.text ?? null };
  }
  const info = result.prompts.find((p) => p.input === 'none');
  return info ? { kind: 'info', text: info.text, next } : { kind: 'continue', next };
}
