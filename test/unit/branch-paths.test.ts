import { describe, expect, it } from 'vitest';
import type { ConversationEvent } from '../../machines/types.js';
import { branchedWorkflow as wf } from '../support/branched.js';
import { Simulation } from '../support/simulation.js';

/**
 * Every simple path of the branched example's conversation graph (examples/branched.json): each option
 * of each question on the way (a multi-choice: its first option, or all), the optional monthly sales
 * skipped, a changed business type in the middle of the questions, an exit at any point and the return,
 * the contact form given or skipped, every CTA and one restart. After every step the question the bot
 * asks and the score are checked against an independent model: the example's branches written out by
 * hand, and the scoring table tallied again.
 */

const QUICK = 10_000;
const CTA_POINTS: Record<string, number> = Object.fromEntries(wf.cta.options.map((c) => [c.id, c.points]));

/** The example's branches by hand (not through machines/path.ts): the questions on the path. */
function modelPath(answers: ReadonlyMap<number, string[]>): number[] {
  const business = answers.get(2)?.[0];
  if (business === 'other') return [2];
  const sales = (): number[] => (answers.get(5)?.includes('under_50k') ? [5] : [5, 6]);
  if (business === 'kirana_retail') return [2, ...sales()];
  if (business === 'wholesale_fmcg') return [2, 3, ...sales()];
  // A restaurant (or no answer yet): the staff size, and one person jumps to the features.
  if (answers.get(4)?.[0] === 'just_me') return [2, 3, 4, 6];
  return [2, 3, 4, ...sales()];
}

class Model {
  score = 5;
  once = new Set<string>(['session_opened']);
  answers = new Map<number, string[]>();
  skipped = new Set<number>();
  everDone = false;
  everDoneThisRound = false;
  give(key: string, points: number): void {
    if (this.once.has(key)) return;
    this.once.add(key);
    this.score += points;
  }
  get path(): number[] {
    return modelPath(this.answers);
  }
  get next(): number | null {
    return this.path.find((q) => !this.answers.has(q) && !this.skipped.has(q)) ?? null;
  }
  answer(q: number, picks: string[], text?: string): void {
    this.give(`a${q}`, 5);
    this.give(`quick${q}`, 5);
    if (text && text.length > 10) this.give(`detail${q}`, 5);
    this.answers.set(q, picks);
    this.skipped.delete(q);
    this.roundDone();
  }
  skip(q: number): void {
    this.give(`skip${q}`, 0);
    this.skipped.add(q);
    this.roundDone();
  }
  private roundDone(): void {
    if (this.next !== null || this.everDoneThisRound) return;
    this.everDoneThisRound = true;
    this.everDone = true;
    if (this.path.every((q) => this.answers.has(q))) this.give('all', 10);
  }
  restart(): void {
    this.answers.clear();
    this.skipped.clear();
    this.everDoneThisRound = false;
  }
  copy(): Model {
    return Object.assign(new Model(), {
      ...this,
      once: new Set(this.once),
      answers: new Map(this.answers),
      skipped: new Set(this.skipped),
    });
  }
}

interface Path {
  sim: Simulation;
  model: Model;
  t: number;
  /** After an exit or a restart the walk goes on along the first move only (the rest is walked elsewhere). */
  narrow: boolean;
  exited: boolean;
  rounds: number;
  changed: boolean;
  labels: string[];
}

interface Move {
  label: string;
  event: (at: number) => ConversationEvent;
  apply: (p: Path) => void;
}

function answerMoves(q: number): Move[] {
  const question = wf.questions.find((x) => x.id === q)!;
  if (question.type === 'text') {
    const text = 'Mumbai, Maharashtra';
    return [
      {
        label: `a${q}`,
        event: (at) => ({ type: 'visitor.answer', at, questionId: q, text }),
        apply: (p) => p.model.answer(q, [], text),
      },
    ];
  }
  const ids = question.options.map((o) => o.id);
  const picks = question.type === 'single_choice' ? ids.map((id) => [id]) : [[ids[0]!], ids];
  return picks.map((optionIds) => ({
    label: `a${q}=${optionIds.length > 1 ? 'all' : optionIds[0]}`,
    event: (at) => ({ type: 'visitor.answer', at, questionId: q, optionIds }),
    apply: (p) => p.model.answer(q, optionIds),
  }));
}

function movesFor(p: Path): Move[] {
  const step = p.sim.step;
  const moves: Move[] = [];
  const next = p.model.next;
  if (step === 'abandoned') {
    // Back again: the visitor goes on where they left off.
    if (next !== null && !p.model.everDone) moves.push(answerMoves(next)[0]!);
    else
      moves.push({
        label: 'return-skip-contact',
        event: (at) => ({ type: 'visitor.contact', at, skip: true }),
        apply: () => {},
      });
    return moves;
  }
  if (step === 'greeting') {
    for (const o of wf.greeting.options) {
      moves.push({
        label: `greet-${o.id}`,
        event: (at) => ({ type: 'visitor.greeting', at, optionId: o.id }),
        apply: (q) => q.model.give('greeting', 5),
      });
    }
  }
  if (step === 'questions' && next !== null) {
    moves.push(...answerMoves(next));
    if (!wf.questions.find((q) => q.id === next)!.required) {
      moves.push({
        label: `skip${next}`,
        event: (at) => ({ type: 'visitor.skip', at, questionId: next }),
        apply: (q) => q.model.skip(next),
      });
    }
    // A restaurant becomes a kirana shop half-way: the path turns.
    if (!p.changed && p.model.answers.get(2)?.[0] === 'restaurant_cafe' && p.model.answers.size === 2) {
      moves.push({
        label: 'change-a2=kirana_retail',
        event: (at) => ({ type: 'visitor.answer', at, questionId: 2, optionIds: ['kirana_retail'] }),
        apply: (q) => {
          q.model.answer(2, ['kirana_retail']);
          q.changed = true;
        },
      });
    }
  }
  if (step === 'contact') {
    moves.push(
      {
        label: 'contact-phone',
        event: (at) => ({ type: 'visitor.contact', at, hasPhone: true }),
        apply: (q) => q.model.give('contact', 10),
      },
      {
        label: 'contact-skip',
        event: (at) => ({ type: 'visitor.contact', at, skip: true }),
        apply: () => {},
      },
    );
  }
  if (step === 'cta') {
    for (const c of wf.cta.options) {
      if (c.action === 'restart' && (p.rounds > 0 || p.narrow)) continue;
      moves.push({
        label: `cta-${c.id}`,
        event: (at) => ({ type: 'visitor.cta', at, ctaId: c.id }),
        apply: (q) => {
          if (CTA_POINTS[c.id] !== 0) q.model.give('cta', CTA_POINTS[c.id]!);
          if (c.action === 'restart') {
            q.model.restart();
            q.rounds += 1;
            q.narrow = true;
          }
        },
      });
    }
  }
  if (p.narrow) return moves.slice(0, 1);
  if (!p.exited && !p.sim.done && p.rounds === 0) {
    moves.push({
      label: `exit@${step}`,
      event: (at) => ({ type: 'visitor.exit', at }),
      apply: (q) => {
        if (!q.model.everDone) q.model.give('dropout', -10);
        q.exited = true;
        q.narrow = true;
      },
    });
  }
  return moves;
}

function step(p: Path, move: Move): Path {
  p.t += QUICK;
  p.labels.push(move.label);
  const where = p.labels.join(' → ');
  if (!p.sim.send(move.event(p.t))) expect.fail(`refused: ${where}`);
  move.apply(p);
  if (p.sim.score !== p.model.score) expect(p.sim.score, where).toBe(p.model.score);
  const next = p.model.next;
  if (p.sim.step === 'questions') {
    if (p.sim.actor.getSnapshot().context.current !== next)
      expect(p.sim.actor.getSnapshot().context.current, `next question: ${where}`).toBe(next);
  } else if ((p.sim.step === 'contact' || p.sim.step === 'cta') && next !== null) {
    expect.fail(`left the questions with question ${next} open: ${where}`);
  }
  return p;
}

const fork = (p: Path): Path => ({ ...p, sim: p.sim.fork(), model: p.model.copy(), labels: [...p.labels] });

describe('every path of a branched conversation graph', () => {
  it('asks the questions of the path and scores each path as the scoring table says', () => {
    const finals: string[][] = [];
    const paths = new Set<string>();
    const root: Path = {
      sim: new Simulation(wf, 0),
      model: new Model(),
      t: 0,
      narrow: false,
      exited: false,
      rounds: 0,
      changed: false,
      labels: [],
    };
    const collect = (p: Path) => {
      const asked = p.sim.prompts.filter((x) => x.step === 'questions').map((x) => x.questionId);
      paths.add([...new Set(asked)].join(','));
    };
    const walkAndCollect = (p: Path) => {
      const moves = movesFor(p);
      if (moves.length === 0) {
        expect(p.sim.done, p.labels.join(' → ')).toBe(true);
        finals.push(p.labels);
        collect(p);
        return;
      }
      for (const m of moves) walkAndCollect(step(fork(p), m));
    };
    walkAndCollect(root);

    expect(finals.length).toBeGreaterThan(500);
    // Every way through the questions is taken (a changed answer asks 3 and 4 before turning to 5).
    for (const path of [
      '2',
      '2,5',
      '2,5,6',
      '2,3,5',
      '2,3,5,6',
      '2,3,4,6',
      '2,3,4,5',
      '2,3,4,5,6',
      '2,3,4,5,6',
    ])
      expect(paths, path).toContain(path);
    // The bonus comes at the end of every path with nothing skipped, however short.
    const replay = (labels: string[]) =>
      labels.reduce((p, l) => step(p, movesFor(p).find((m) => m.label === l)!), fork(root));
    const other = replay(['greet-yes', 'a2=other', 'contact-phone', 'cta-talk_to_sales']);
    expect(other.sim.score).toBe(5 + 5 + 10 + 10 + 10 + 15);
    expect(other.sim.behaviors()).toContain('answered_all_questions');
    const skipped = replay(['greet-yes', 'a2=kirana_retail', 'skip5', 'a6=all', 'exit@contact']);
    expect(skipped.sim.behaviors()).not.toContain('answered_all_questions');
    expect(skipped.sim.behaviors()).not.toContain('early_dropout');
    const turned = replay([
      'greet-yes',
      'a2=restaurant_cafe',
      'a3',
      'change-a2=kirana_retail',
      'a5=under_50k',
    ]);
    expect(turned.sim.step).toBe('contact');
    expect(turned.sim.behaviors().filter((b) => b === 'answered_all_questions')).toHaveLength(1);
    expect(turned.sim.score).toBe(5 + 5 + 10 + 15 + 10 + 10);
  });
});
