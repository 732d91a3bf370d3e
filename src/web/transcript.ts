import type { SessionEventMessage } from '../protocol/index.js';
import { routingLine } from './ownership.js';
import { shortPage } from './trail.js';

/**
 * How the console words one event of a session's log. A visitor who picked options sent their ids;
 * the bot prompt before it in the log carried those options with their labels, so the transcript
 * reads the labels from there (and, for an id that prompt did not list, from any earlier prompt).
 */

/** One transcript line: who said it and what. */
export interface TranscriptLine {
  who: 'bot' | 'visitor' | 'agent' | 'note' | 'score';
  text: string;
}

type Options = { id: string; label: string }[] | undefined;

export class TranscriptReader {
  /** The options of the last prompt, by id. */
  private last = new Map<string, string>();
  /** The options of every prompt seen, by id (the last label wins). */
  private seen = new Map<string, string>();
  /** The options of each question, by question id, for answers that name their question. */
  private byQuestion = new Map<number, Map<string, string>>();

  /** A new session was opened: nothing is known of its prompts yet. */
  reset(): void {
    this.last = new Map();
    this.seen = new Map();
    this.byQuestion = new Map();
  }

  private label(id: string, question?: Map<string, string>): string {
    return question?.get(id) ?? this.last.get(id) ?? this.seen.get(id) ?? id;
  }

  private remember(options: Options, questionId: unknown): void {
    this.last = new Map((options ?? []).map((o) => [o.id, o.label]));
    for (const [id, label] of this.last) this.seen.set(id, label);
    if (typeof questionId === 'number' && this.last.size > 0) this.byQuestion.set(questionId, this.last);
  }

  /** The line an event shows as (null: not shown); reads prompts' options as it goes, so call it in `seq` order. */
  read(e: SessionEventMessage): TranscriptLine | null {
    const d = e.data;
    switch (e.type) {
      case 'bot.prompt':
        this.remember(d.options as Options, d.questionId);
        return { who: 'bot', text: String(d.text ?? '') };
      case 'visitor.input':
        return this.visitor(d.command as Record<string, unknown>);
      case 'agent.message':
        return { who: 'agent', text: `${d.name}: ${d.text}` };
      case 'agent.joined':
        return { who: 'note', text: `${d.name} took over` };
      case 'agent.left':
        return { who: 'note', text: `${d.name} released the session` };
      case 'score.changed': {
        const awarded = (d.awarded as { behavior: string; points: number }[]).map(
          (a) => `${a.behavior} ${a.points > 0 ? '+' : ''}${a.points}`,
        );
        // Logs written before the score had parts carry no fit / engagement.
        const parts = d.fit === undefined ? '' : `, fit ${d.fit} + engagement ${d.engagement}`;
        return { who: 'score', text: `${awarded.join(', ')} → ${d.score} (${d.classification}${parts})` };
      }
      // Shown so the points they earned (session_opened, early_dropout) have a line to sit beside.
      case 'session.started':
        return { who: 'note', text: 'session started' };
      case 'session.idle':
        return { who: 'note', text: 'visitor idle: session left' };
      case 'state.changed':
        return { who: 'note', text: `state: ${d.from ?? 'new'} → ${d.to}` };
      default:
        return routingLine(e);
    }
  }

  private visitor(c: Record<string, unknown>): TranscriptLine {
    if (c.kind === 'page') return { who: 'note', text: `viewed ${shortPage(String(c.url))}` };
    const question = typeof c.questionId === 'number' ? this.byQuestion.get(c.questionId) : undefined;
    const picked = (c.optionIds as string[] | undefined)?.map((id) => this.label(id, question)).join(', ');
    // An answer over REST may name an option of its question by its id as its text; typed text stays as typed.
    const text =
      typeof c.text === 'string' ? (c.kind === 'answer' && question?.get(c.text)) || c.text : undefined;
    const said = text ?? picked ?? c.action ?? c.targetId ?? '';
    const contact = [c.name, c.phone, c.email].filter(Boolean).join(' · ');
    // What the client attached to a behaviour or an exit, shown as it came (as text, like all of it).
    const metadata = c.metadata === undefined ? '' : ` ${JSON.stringify(c.metadata)}`;
    return { who: 'visitor', text: String(contact || said || c.kind) + metadata };
  }
}

/** An event's time as the agent's clock shows it (hours, minutes, seconds). */
export function timeOf(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString(undefined, { hour12: false });
}
