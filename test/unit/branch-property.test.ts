import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BranchCondition, ConversationEvent } from '../../machines/types.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { parseWorkflow } from '../../src/workflow/load.js';
import type { Workflow, WorkflowInput } from '../../src/workflow/schema.js';
import { Simulation } from '../support/simulation.js';

/**
 * Random branched workflows (jumps and conditions laid at random over the built-in questions, kept when
 * the workflow's validation takes them) and random conversations through each: the bot asks exactly
 * the questions a separate reading of the branches puts on the visitor's path, leaves the questions only
 * when that path is done, earns `answered_all_questions` only for a path answered in full, and keeps
 * the score the sum of its ledger with every once-rule.
 */

const base: WorkflowInput = { ...structuredClone(defaultWorkflow), experiments: [] };
const IDS = base.questions.map((q) => q.id);

/** `when` and `next` read again, apart from machines/path.ts. */
function refHolds(c: BranchCondition, picks: Map<number, string[]>): boolean {
  if ('all' in c) return c.all.every((x) => refHolds(x, picks));
  if ('any' in c) return c.any.some((x) => refHolds(x, picks));
  if ('not' in c) return !refHolds(c.not, picks);
  const picked = picks.get(c.question) ?? [];
  if (c.anyOf) return c.anyOf.some((id) => picked.includes(id));
  if (c.allOf) return c.allOf.every((id) => picked.includes(id));
  return !(c.noneOf ?? []).some((id) => picked.includes(id));
}

function refPath(wf: Workflow, picks: Map<number, string[]>): number[] {
  const path: number[] = [];
  const seen = new Map<number, string[]>();
  for (let i = 0; i < wf.questions.length; ) {
    const q = wf.questions[i]!;
    if (q.when && !refHolds(q.when, seen)) {
      i += 1;
      continue;
    }
    path.push(q.id);
    const picked = picks.get(q.id);
    if (picked) seen.set(q.id, picked);
    const targets = q.options
      .filter((o) => o.next !== undefined && picked?.includes(o.id))
      .map((o) => o.next!);
    const index = (t: number | 'contact') => (t === 'contact' ? wf.questions.length : IDS.indexOf(t));
    if (targets.length === 0) i += 1;
    else i = Math.min(...targets.map(index));
  }
  return path;
}

/** A branched workflow over the built-in questions; null when validation refuses it. */
const branchedWorkflow: fc.Arbitrary<Workflow> = fc
  .record({
    jumps: fc.array(fc.record({ q: fc.nat(4), o: fc.nat(6), t: fc.nat(5) }), { maxLength: 4 }),
    whens: fc.array(
      fc.record({
        q: fc.integer({ min: 1, max: 4 }),
        on: fc.nat(3),
        kind: fc.constantFrom('anyOf', 'allOf', 'noneOf'),
        picks: fc.array(fc.nat(6), { minLength: 1, maxLength: 2 }),
        wrap: fc.constantFrom('none', 'not', 'any', 'all'),
      }),
      { maxLength: 3 },
    ),
    optional: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  })
  .map(({ jumps, whens, optional }) => {
    const wf = structuredClone(base);
    for (const [i, q] of wf.questions.entries()) q.required = !optional[i];
    for (const { q, o, t } of jumps) {
      const question = wf.questions[q]!;
      if (question.type === 'text') continue;
      const options = question.options!;
      const to = q + 1 + (t % (5 - q));
      options[o % options.length]!.next = to === 5 ? 'contact' : IDS[to]!;
    }
    for (const w of whens) {
      const on = wf.questions[w.on % w.q]!;
      if (on.type === 'text') continue;
      const ids = [...new Set(w.picks.map((k) => on.options![k % on.options!.length]!.id))];
      const leaf = { question: on.id, [w.kind]: ids } as BranchCondition;
      wf.questions[w.q]!.when =
        w.wrap === 'not'
          ? { not: leaf }
          : w.wrap === 'any'
            ? { any: [leaf] }
            : w.wrap === 'all'
              ? { all: [leaf] }
              : leaf;
    }
    try {
      return parseWorkflow(wf);
    } catch {
      return null;
    }
  })
  .filter((wf): wf is Workflow => wf !== null);

type Make = (wf: Workflow, at: number) => ConversationEvent;

/** Answers by index into the questions and their options (so that they fit), now and then a bogus one. */
const answer: fc.Arbitrary<Make> = fc
  .record({ q: fc.nat(5), picks: fc.array(fc.nat(6), { minLength: 1, maxLength: 3 }) })
  .map(
    ({ q, picks }): Make =>
      (wf, at) => {
        const question = wf.questions[q];
        if (!question) return { type: 'visitor.answer', at, questionId: 99, optionIds: ['x'] };
        if (question.type === 'text')
          return { type: 'visitor.answer', at, questionId: question.id, text: 'Pune' };
        const ids = [...new Set(picks.map((k) => question.options[k % question.options.length]!.id))];
        return {
          type: 'visitor.answer',
          at,
          questionId: question.id,
          optionIds: question.type === 'single_choice' ? ids.slice(0, 1) : ids,
        };
      },
  );

/** The answer to the question the bot waits on, so that conversations get far. */
const answerPending: fc.Arbitrary<Make> = fc.nat(6).map(
  (k): Make =>
    (_wf, at) => ({ type: 'visitor.answer', at, questionId: -k, optionIds: [String(k)] }),
);

const event: fc.Arbitrary<Make> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.constantFrom('yes', 'about', 'no').map(
      (optionId): Make =>
        (_wf, at) => ({ type: 'visitor.greeting', at, optionId }),
    ),
  },
  { weight: 4, arbitrary: answer },
  { weight: 8, arbitrary: answerPending },
  {
    weight: 2,
    arbitrary: fc.nat(5).map(
      (q): Make =>
        (wf, at) => ({ type: 'visitor.skip', at, questionId: wf.questions[q]?.id ?? 7 }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.boolean().map(
      (phone): Make =>
        (_wf, at) => ({ type: 'visitor.contact', at, hasPhone: phone, skip: !phone }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...base.cta.options.map((c) => c.id)).map(
      (ctaId): Make =>
        (_wf, at) => ({ type: 'visitor.cta', at, ctaId }),
    ),
  },
  { weight: 1, arbitrary: fc.constant<Make>((_wf, at) => ({ type: 'visitor.exit', at })) },
  { weight: 1, arbitrary: fc.constant<Make>((_wf, at) => ({ type: 'session.idle', at })) },
);

/** Straight through: every pending question answered, the contact form, a CTA that ends it. */
const finish: fc.Arbitrary<Make[]> = fc
  .array(answerPending, { minLength: 5, maxLength: 5 })
  .map((answers) => [
    ...answers,
    (_wf, at) => ({ type: 'visitor.contact', at, hasPhone: true }),
    (_wf, at) => ({ type: 'visitor.cta', at, ctaId: 'talk_to_sales' }),
  ]);

const conversation: fc.Arbitrary<Make[]> = fc
  .array(fc.oneof({ weight: 6, arbitrary: event.map((m) => [m]) }, { weight: 1, arbitrary: finish }), {
    minLength: 1,
    maxLength: 12,
  })
  .map((groups) => groups.flat().slice(0, 40));

describe('random branched workflows (property)', () => {
  it('asks the questions on the path, and only a path answered in full earns the bonus', () => {
    const seen = { branched: 0, jumped: 0, offPath: 0, allAnswered: 0, shortPath: 0, completed: 0 };
    fc.assert(
      fc.property(branchedWorkflow, conversation, (wf, makes) => {
        if (wf.questions.some((q) => q.when || q.options.some((o) => o.next))) seen.branched += 1;
        const sim = new Simulation(wf);
        const picks = new Map<number, string[]>();
        const answered = new Set<number>();
        const skipped = new Set<number>();
        const trail: string[] = [];
        let t = 0;
        for (const make of makes) {
          t += 5_000;
          let e = make(wf, t);
          if (e.type === 'visitor.answer' && e.questionId <= 0) {
            // "Answer what is asked": the question the bot waits on, with an option chosen by the index.
            const current = sim.actor.getSnapshot().context.current;
            const question = wf.questions.find((q) => q.id === current);
            if (!question) continue;
            const k = Number(e.optionIds![0]);
            e =
              question.type === 'text'
                ? { type: 'visitor.answer', at: t, questionId: question.id, text: 'Mumbai, Maharashtra' }
                : {
                    type: 'visitor.answer',
                    at: t,
                    questionId: question.id,
                    optionIds: [question.options[k % question.options.length]!.id],
                  };
          }
          const before = {
            step: sim.step,
            ledger: sim.ledger.length,
            prompts: sim.prompts.length,
            facts: sim.facts.length,
          };
          const path = refPath(wf, picks);
          const accepted = sim.send(e);
          trail.push(`${JSON.stringify(e)}${accepted ? '' : ' (refused)'}`);
          const where = `${JSON.stringify(wf.questions.map((q) => ({ id: q.id, when: q.when, next: q.options.filter((o) => o.next).map((o) => [o.id, o.next]), req: q.required })))}\n${trail.join('\n')}`;
          // Taken, not just let in (a visitor back from idle is let in, and the answer then judged).
          const recorded = sim.facts
            .slice(before.facts)
            .some(
              (f) =>
                f.behavior === 'answered_question' &&
                e.type === 'visitor.answer' &&
                f.questionId === e.questionId,
            );
          if (recorded && e.type === 'visitor.answer') {
            // Only a question on the path is answered.
            expect(path, where).toContain(e.questionId);
            picks.set(e.questionId, e.optionIds ?? []);
            answered.add(e.questionId);
            skipped.delete(e.questionId);
          }
          if (
            !recorded &&
            e.type === 'visitor.answer' &&
            !path.includes(e.questionId) &&
            IDS.includes(e.questionId)
          )
            seen.offPath += 1;
          const facts = sim.facts.slice(before.facts);
          if (e.type === 'visitor.skip' && e.questionId !== wf.contact.questionId)
            if (facts.some((f) => f.behavior === 'question_skipped')) skipped.add(e.questionId);
          if (facts.some((f) => f.behavior === 'cta_clicked' && f.targetId === 'restart_bot')) {
            picks.clear();
            answered.clear();
            skipped.clear();
          }
          const now = refPath(wf, picks);
          const next = now.find((q) => !answered.has(q) && !skipped.has(q)) ?? null;
          const context = sim.actor.getSnapshot().context;
          if (sim.step === 'questions') expect(context.current, `next question\n${where}`).toBe(next);
          if (before.step === 'questions' && sim.step === 'contact')
            expect(next, `questions left open\n${where}`).toBeNull();
          // Every question the bot put is on the path as it then stood and still open.
          for (const p of sim.prompts.slice(before.prompts)) {
            if (p.step === 'questions') expect(now, where).toContain(p.questionId);
          }
          const gained = sim.ledger.slice(before.ledger).map((x) => x.behavior);
          if (gained.includes('answered_all_questions')) {
            expect(
              now.every((q) => answered.has(q)),
              `bonus for a path not answered in full\n${where}`,
            ).toBe(true);
            seen.allAnswered += 1;
            if (now.length < IDS.length) seen.shortPath += 1;
          }
          expect(sim.score, where).toBe(sim.ledger.reduce((s, x) => s + x.points, 0));
          const keys = sim.ledger.map((x) => x.onceKey);
          expect(new Set(keys).size, where).toBe(keys.length);
        }
        const asked = sim.prompts.filter((p) => p.step === 'questions').map((p) => p.questionId!);
        if (
          asked.length > 1 &&
          asked.some((q, i) => i > 0 && IDS.indexOf(q) > IDS.indexOf(asked[i - 1]!) + 1)
        )
          seen.jumped += 1;
        if (sim.step === 'completed') seen.completed += 1;
      }),
      { numRuns: 300 },
    );
    // The corners are reached, so the checks above are not vacuous.
    expect(seen.branched).toBeGreaterThan(200);
    expect(seen.jumped).toBeGreaterThan(0);
    expect(seen.offPath).toBeGreaterThan(0);
    expect(seen.allAnswered).toBeGreaterThan(0);
    expect(seen.shortPath).toBeGreaterThan(0);
    expect(seen.completed).toBeGreaterThan(0);
  });
});
