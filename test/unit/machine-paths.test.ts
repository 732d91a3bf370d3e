import { describe, expect, it } from 'vitest';
import type { ConversationEvent } from '../../machines/types.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { loadWorkflow, parseWorkflow } from '../../src/workflow/load.js';
import { Simulation } from '../support/simulation.js';

/**
 * Walks every simple path of the conversation graph (greeting choices, each question, skipping the
 * optional ones, idle or an exit at every point, contact given, skipped or the form skipped as a
 * question, every CTA, a restart, product clicks) and checks the score after every step against an
 * independent tally of the scoring table (answer values too), for the built-in workflow and for one with
 * optional questions.
 */

const builtIn = loadWorkflow();
/** The built-in workflow with the monthly sales (5) optional. */
const withOptional = parseWorkflow({
  ...defaultWorkflow,
  questions: defaultWorkflow.questions.map((q) => (q.id === 5 ? { ...q, required: false } : q)),
});
/** The built-in workflow asking the monthly sales first: a slow first answer is "less than ₹50K", −5. */
const salesFirst = parseWorkflow({
  ...defaultWorkflow,
  questions: [...defaultWorkflow.questions].sort((a, b) => (a.id === 5 ? -1 : b.id === 5 ? 1 : 0)),
});
let wf = builtIn;
const QUICK = 10_000;
const SLOW = 200_000;
const IDLE = 31 * 60_000;
const ACTIONS: { action: 'clicked_product' | 'clicked_demo' | 'clicked_pricing'; targetId?: string }[] = [
  { action: 'clicked_demo' },
  { action: 'clicked_pricing' },
  { action: 'clicked_product', targetId: 'billing' },
  { action: 'clicked_product', targetId: 'inventory' },
  { action: 'clicked_product', targetId: 'qr_payments' },
  { action: 'clicked_product', targetId: 'staff_hr' },
  { action: 'clicked_product', targetId: 'demo' },
];
const CTA_POINTS: Record<string, number> = Object.fromEntries(wf.cta.options.map((c) => [c.id, c.points]));

/**
 * What an answer is worth, written out again: the picked options' points, or the points of the first
 * rule whose pattern matches the text (case-insensitive), once per question.
 */
function answerValue(q: number, optionIds: readonly string[], text: string | undefined): number {
  const question = wf.questions.find((x) => x.id === q)!;
  if (text !== undefined) {
    return question.rules?.find((r) => new RegExp(r.pattern, 'i').test(text))?.points ?? 0;
  }
  let sum = 0;
  for (const o of question.options) if (optionIds.includes(o.id)) sum += o.points ?? 0;
  return sum;
}

/** The scoring table, written out again independently of src/scoring. */
class Tally {
  score = 5;
  /** The answer values among the score. */
  fit = 0;
  once = new Set<string>(['session_opened']);
  answered = new Set<number>();
  skipped = new Set<number>();
  /** Every question of some round answered or skipped: no early dropout after that. */
  everAll = false;
  products = 0;
  give(key: string, points: number): void {
    if (this.once.has(key)) return;
    this.once.add(key);
    this.score += points;
  }
  answer(q: number, latency: number, text: string | undefined, optionIds: readonly string[]): void {
    if (!this.once.has(`a${q}`)) {
      this.give(`a${q}`, 5);
      if (latency < 120_000) this.give(`quick${q}`, 5);
      if (text && text.trim().length > 10) this.give(`detail${q}`, 5);
      const value = answerValue(q, optionIds, text);
      this.score += value;
      this.fit += value;
    }
    this.answered.add(q);
    this.skipped.delete(q);
    this.roundDone();
  }
  skip(q: number): void {
    this.give(`skip${q}`, 0);
    this.skipped.add(q);
    this.roundDone();
  }
  copy(): Tally {
    return Object.assign(new Tally(), {
      ...this,
      once: new Set(this.once),
      answered: new Set(this.answered),
      skipped: new Set(this.skipped),
    });
  }
  private roundDone(): void {
    if (this.answered.size + this.skipped.size < 5) return;
    this.everAll = true;
    if (this.answered.size === 5) this.give('all', 10);
  }
  action(a: (typeof ACTIONS)[number]): void {
    if (a.action === 'clicked_demo' || a.targetId === 'demo') this.give('demo', 15);
    else if (a.action === 'clicked_pricing') this.give('pricing', 10);
    else if (!this.once.has(`p:${a.targetId}`) && this.products < 3) {
      this.products += 1;
      this.give(`p:${a.targetId}`, 5);
    }
  }
}

interface Path {
  sim: Simulation;
  tally: Tally;
  t: number;
  dropped: boolean;
  rounds: number;
  actions: number;
  labels: string[];
}

interface Move {
  label: string;
  delay: number;
  event: (at: number) => ConversationEvent;
  expect: (tally: Tally, latency: number) => void;
  after?: (p: Path) => void;
}

function movesFor(p: Path): Move[] {
  const ctx = p.sim.actor.getSnapshot().context;
  const step = p.sim.step;
  const moves: Move[] = [];
  const next = ctx.questionOrder.find((q) => !ctx.answered.includes(q) && !ctx.skipped.includes(q));
  const answerMove = (q: number, delay: number): Move => {
    const question = wf.questions.find((x) => x.id === q)!;
    // A slow answer picks the first option (or a town no rule names), a quick one the last option (all
    // of a multi-choice; a metro, which a rule of the built-in workflow values): both ends of the values.
    const text = question.type === 'text' ? (delay === SLOW ? 'Nashik' : 'Mumbai, Maharashtra') : undefined;
    const ids = question.options.map((o) => o.id);
    const optionIds =
      delay === SLOW ? ids.slice(0, 1) : question.type === 'multi_choice' ? ids : ids.slice(-1);
    return {
      label: `answer${q}${delay === SLOW ? '-slow' : ''}`,
      delay,
      event: (at) =>
        text !== undefined
          ? { type: 'visitor.answer', at, questionId: q, text }
          : { type: 'visitor.answer', at, questionId: q, optionIds },
      expect: (tally, latency) => tally.answer(q, latency, text, optionIds),
    };
  };
  if (step === 'abandoned') {
    // Coming back: the visitor answers whatever was pending.
    const pending = ctx.current ?? next;
    if (ctx.completedQuestions && next === undefined) {
      moves.push({
        label: 'return-skip-contact',
        delay: QUICK,
        event: (at) => ({ type: 'visitor.contact', at, skip: true }),
        expect: () => {},
      });
    } else if (pending !== undefined) moves.push(answerMove(pending, QUICK));
    return moves;
  }
  if (!p.dropped && !p.sim.done && p.rounds === 0 && p.actions === 0) {
    moves.push({
      label: `idle@${step}`,
      delay: IDLE,
      event: (at) => ({ type: 'session.idle', at }),
      expect: (tally) => {
        if (!tally.everAll) tally.give('dropout', -10);
      },
      after: (q) => (q.dropped = true),
    });
    // The visitor says they leave: the same, at once.
    moves.push({
      label: `exit@${step}`,
      delay: QUICK,
      event: (at) => ({ type: 'visitor.exit', at }),
      expect: (tally) => {
        if (!tally.everAll) tally.give('dropout', -10);
      },
      after: (q) => (q.dropped = true),
    });
  }
  if (step === 'greeting') {
    for (const o of wf.greeting.options) {
      moves.push({
        label: `greet-${o.id}`,
        delay: QUICK,
        event: (at) => ({ type: 'visitor.greeting', at, optionId: o.id }),
        expect: (tally) => tally.give('greeting', 5),
      });
    }
    if (next !== undefined) moves.push(answerMove(next, QUICK));
  }
  if (step === 'questions' && next !== undefined) {
    moves.push(answerMove(next, QUICK));
    if (ctx.answered.length === 0) moves.push(answerMove(next, SLOW));
    if (!wf.questions.find((q) => q.id === next)!.required) {
      moves.push({
        label: `skip${next}`,
        delay: QUICK,
        event: (at) => ({ type: 'visitor.skip', at, questionId: next }),
        expect: (tally) => tally.skip(next),
      });
    }
  }
  if (step === 'contact') {
    moves.push({
      label: 'contact-phone',
      delay: QUICK,
      event: (at) => ({ type: 'visitor.contact', at, hasPhone: true }),
      expect: (tally) => tally.give('contact', 10),
    });
    moves.push({
      label: 'contact-skip',
      delay: QUICK,
      event: (at) => ({ type: 'visitor.contact', at, skip: true }),
      expect: () => {},
    });
    moves.push({
      label: 'contact-skip-question',
      delay: QUICK,
      event: (at) => ({ type: 'visitor.skip', at, questionId: wf.contact.questionId }),
      expect: (tally) => tally.give(`skip${wf.contact.questionId}`, 0),
    });
  }
  if (step === 'cta') {
    // Browsing the menu in the first round: each product, the demo and pricing, one click at a time.
    const action = ACTIONS[p.actions];
    if (action && p.rounds === 0 && (p.actions > 0 || !p.dropped)) {
      moves.push({
        label: `${action.action}:${action.targetId ?? ''}`,
        delay: QUICK,
        event: (at) => ({ type: 'visitor.action', at, ...action }),
        expect: (tally) => tally.action(action),
        after: (q) => (q.actions += 1),
      });
      // Once browsing has started it goes on to the end of the menu before a CTA is picked.
      if (p.actions > 0) return moves;
    }
    for (const c of wf.cta.options) {
      if (c.action === 'restart' && p.rounds > 0) continue;
      moves.push({
        label: `cta-${c.id}`,
        delay: QUICK,
        event: (at) => ({ type: 'visitor.cta', at, ctaId: c.id }),
        expect: (tally) => {
          if (CTA_POINTS[c.id] !== 0) tally.give('cta', CTA_POINTS[c.id]!);
          if (c.action === 'restart') {
            tally.answered.clear();
            tally.skipped.clear();
          }
        },
        after: (q) => (q.rounds += c.action === 'restart' ? 1 : 0),
      });
    }
  }
  return moves;
}

/** A path at its start: the session just opened. */
function begin(): Path {
  return {
    sim: new Simulation(wf, 0),
    tally: new Tally(),
    t: 0,
    dropped: false,
    rounds: 0,
    actions: 0,
    labels: [],
  };
}

/** A copy of the path that goes on on its own (each branch of the walk takes one). */
function fork(p: Path): Path {
  return { ...p, sim: p.sim.fork(), tally: p.tally.copy(), labels: [...p.labels] };
}

/** Takes one more step along the path and checks the score against the tally. */
function step(p: Path, move: Move): Path {
  const ctx = p.sim.actor.getSnapshot().context;
  const q = (move.event(0) as { questionId?: number }).questionId;
  const since = q !== undefined ? (ctx.askedAt[q] ?? ctx.lastEventAt) : ctx.lastEventAt;
  p.t += move.delay;
  p.labels.push(move.label);
  if (!p.sim.send(move.event(p.t))) expect.fail(`refused: ${p.labels.join(' → ')}`);
  move.expect(p.tally, p.t - since);
  move.after?.(p);
  if (p.sim.score !== p.tally.score) expect(p.sim.score, p.labels.join(' → ')).toBe(p.tally.score);
  if (p.sim.parts.fit !== p.tally.fit) expect(p.sim.parts.fit, p.labels.join(' → ')).toBe(p.tally.fit);
  expect(p.sim.ledger.reduce((s, e) => s + e.points, 0)).toBe(p.sim.score);
  return p;
}

function replay(labels: string[]): Path {
  return labels.reduce((p, label) => step(p, movesFor(p).find((m) => m.label === label)!), begin());
}

describe.each([
  ['the built-in workflow', builtIn],
  ['a workflow with an optional question', withOptional],
  ['the built-in workflow asking the monthly sales first', salesFirst],
])('every path of the conversation graph: %s', (_name, workflow) => {
  it('scores each path as the scoring table says', () => {
    wf = workflow;
    const finals: { labels: string[]; done: boolean }[] = [];
    const seenSteps = new Set<string>();
    const seenMoves = new Set<string>();
    const walk = (p: Path) => {
      seenSteps.add(p.sim.step);
      for (const pr of p.sim.prompts) seenSteps.add(`prompt:${pr.step}`);
      const moves = movesFor(p);
      if (moves.length === 0) {
        finals.push({ labels: p.labels, done: p.sim.done });
        return;
      }
      for (const m of moves) {
        seenMoves.add(m.label.replace(/\d/g, '#'));
        walk(step(fork(p), m));
      }
    };
    walk(begin());

    expect(finals.length).toBeGreaterThan(500);
    for (const step of ['greeting', 'questions', 'contact', 'cta', 'completed', 'declined', 'abandoned']) {
      expect(seenSteps, step).toContain(step);
    }
    expect(seenSteps).toContain('prompt:about');
    for (const move of [
      'exit@greeting',
      'exit@questions',
      'exit@contact',
      'exit@cta',
      'contact-skip-question',
    ])
      expect(seenMoves, move).toContain(move);
    if (wf.questions.some((q) => !q.required)) expect(seenMoves).toContain('skip#');
    else expect(seenMoves).not.toContain('skip#');
    for (const p of finals) {
      expect(p.done, p.labels.join(' → ')).toBe(true);
    }
    const total = (labels: string[]) => replay(labels).sim.score;
    if (wf === salesFirst) {
      // A negative answer value: the slow first answer, less than ₹50K.
      expect(total(['greet-yes', 'answer5-slow'])).toBe(5 + 5 + 5 - 5);
      expect(replay(['greet-yes', 'answer5-slow']).sim.parts).toEqual({ fit: -5, engagement: 15 });
      return;
    }
    // Spot checks of whole paths against hand-computed totals. The quick answers' values in the built-in
    // workflow: business "other" 0, a metro +5, more than 15 staff +10, sales ₹5L+ +15, every need 2+3+2.
    const VALUES = 0 + 5 + 10 + 15 + 7;
    expect(total(['greet-no'])).toBe(10);
    expect(
      total([
        'greet-yes',
        'answer2',
        'answer3',
        'answer4',
        'answer5',
        'answer6',
        'contact-phone',
        ...ACTIONS.map((a) => `${a.action}:${a.targetId ?? ''}`),
        'cta-talk_to_sales',
      ]),
    ).toBe(5 + 5 + 25 + 25 + 5 + 10 + 10 + 15 + 10 + 15 + 15 + VALUES);
    // A slow first answer picks the first option: a kirana shop, +5.
    expect(total(['greet-yes', 'answer2-slow'])).toBe(5 + 5 + 5 + 5);
    // Back after the deadline: the answer is not quick, since latency counts from the visitor's last event.
    expect(total(['idle@greeting', 'answer2'])).toBe(5 - 10 + 5);
    // An exit is the visitor's event: back within two minutes, the answer is quick.
    expect(total(['exit@greeting', 'answer2'])).toBe(5 - 10 + 5 + 5);
    // Questions done, no dropout; the contact form skipped as a question is recorded for 0.
    const skipped = replay(['answer2', 'answer3', 'answer4', 'answer5', 'answer6', 'exit@contact']);
    expect(skipped.sim.behaviors()).not.toContain('early_dropout');
    expect(
      total(['greet-yes', 'answer2', 'answer3', 'answer4', 'answer5', 'answer6', 'contact-skip-question']),
    ).toBe(5 + 5 + 25 + 25 + 5 + 10 + VALUES);
    expect(replay(['answer2', 'answer3', 'answer4', 'answer5', 'answer6']).sim.parts.fit).toBe(VALUES);
  });
});
