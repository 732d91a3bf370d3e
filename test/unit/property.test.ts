import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConversationEvent, VisitorAction } from '../../machines/types.js';
import { classify } from '../../src/scoring/classification.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { loadWorkflow, parseWorkflow } from '../../src/workflow/load.js';
import type { Workflow } from '../../src/workflow/schema.js';
import { branchedWorkflow } from '../support/branched.js';
import { Simulation } from '../support/simulation.js';

/**
 * Random event sequences through the machine and the scoring rules: whatever a visitor (or an agent,
 * or the idle sweep) does, in whatever order, the ledger keeps its once-rules and the score and
 * classification stay consistent with it.
 */

/** The built-in workflow: its options and the location question carry answer values. */
const wf = loadWorkflow();
/** The built-in workflow with the location (3) and the monthly sales (5) optional: skips happen. */
const withOptional = parseWorkflow({
  ...defaultWorkflow,
  questions: defaultWorkflow.questions.map((q) => (q.id === 3 || q.id === 5 ? { ...q, required: false } : q)),
});
/** The built-in workflow with thresholds on fit and engagement too. */
const withPartThresholds = parseWorkflow({
  ...defaultWorkflow,
  thresholds: { sql: 60, mql: 30, fit: { sql: 15, mql: 0 }, engagement: { sql: 50 } },
});

const GREETING_IDS = [...wf.greeting.options.map((o) => o.id), 'maybe_later'];
const CTA_IDS = wf.cta.options.map((c) => c.id);
const PRODUCT_IDS = wf.products.map((p) => p.id);
const ALL_OPTION_IDS = [...new Set(wf.questions.flatMap((q) => q.options.map((o) => o.id)))];
const ACTIONS: VisitorAction[] = ['clicked_product', 'clicked_demo', 'clicked_pricing', 'cta_clicked'];
const ONCE_PER_SESSION = [
  'session_opened',
  'replied_to_greeting',
  'answered_all_questions',
  'shared_contact',
  'clicked_demo',
  'clicked_pricing',
  'cta_clicked',
  'early_dropout',
];
const PER_QUESTION = ['answered_question', 'quick_reply', 'detailed_answer'];
/** A skip is recorded once per question: a profile question or the contact form. */
const SKIPPABLE_IDS = [...wf.questions.map((q) => q.id), wf.contact.questionId];
const IDLE_MS = wf.idleMinutes * 60_000;

type Make = (at: number) => ConversationEvent;

const texts = fc.oneof(
  fc.constantFrom('', '   ', 'Pune', '0123456789', '01234567890', '  Bengaluru, Karnataka  '),
  fc.string({ maxLength: 10 }),
  fc.string({ minLength: 11, maxLength: 60 }),
);

/** An answer that fits the question. */
function validAnswerTo(q: (typeof wf.questions)[number]): fc.Arbitrary<Make> {
  if (q.type === 'text') {
    return fc
      .oneof(fc.constantFrom('Pune', 'Mumbai, Maharashtra'), fc.string({ minLength: 1, maxLength: 40 }))
      .filter((t) => t.trim().length > 0)
      .map(
        (text): Make =>
          (at) => ({ type: 'visitor.answer', at, questionId: q.id, text }),
      );
  }
  const ids = q.options.map((o) => o.id);
  const pick =
    q.type === 'single_choice'
      ? fc.constantFrom(...ids).map((id) => [id])
      : fc.subarray(ids, { minLength: 1 });
  return pick.map(
    (optionIds): Make =>
      (at) => ({ type: 'visitor.answer', at, questionId: q.id, optionIds }),
  );
}

const validAnswer: fc.Arbitrary<Make> = fc.constantFrom(...wf.questions).chain(validAnswerTo);

/** Every question answered validly in a random order: gets sequences past the questions often enough. */
const answerAll: fc.Arbitrary<Make[]> = fc
  .shuffledSubarray([...wf.questions], { minLength: wf.questions.length })
  .chain((qs) => fc.tuple(...qs.map(validAnswerTo)));

/** Any answer: question ids 1..8 (1 is the greeting, 7 the contact form, 8 does not exist). */
const anyAnswer: fc.Arbitrary<Make> = fc
  .record({
    questionId: fc.integer({ min: 1, max: 8 }),
    optionIds: fc.option(fc.array(fc.constantFrom(...ALL_OPTION_IDS, 'bogus_option'), { maxLength: 3 }), {
      nil: undefined,
    }),
    text: fc.option(texts, { nil: undefined }),
  })
  .map(
    ({ questionId, optionIds, text }): Make =>
      (at) => {
        const e: ConversationEvent = { type: 'visitor.answer', at, questionId };
        if (optionIds !== undefined) e.optionIds = optionIds;
        if (text !== undefined) e.text = text;
        return e;
      },
  );

const maybeBool = fc.option(fc.boolean(), { nil: undefined });

/** The contact form: e-mail, phone, both or neither, skipped or not. */
const contact: fc.Arbitrary<Make> = fc
  .record({ hasEmail: maybeBool, hasPhone: maybeBool, skip: maybeBool })
  .map(
    (r): Make =>
      (at) => {
        const e: ConversationEvent = { type: 'visitor.contact', at };
        if (r.hasEmail !== undefined) e.hasEmail = r.hasEmail;
        if (r.hasPhone !== undefined) e.hasPhone = r.hasPhone;
        if (r.skip !== undefined) e.skip = r.skip;
        return e;
      },
  );

/** Skipping a question (ids 1..8: the greeting, the profile questions, the contact form, none). */
const skip: fc.Arbitrary<Make> = fc.integer({ min: 1, max: 8 }).map(
  (questionId): Make =>
    (at) => ({ type: 'visitor.skip', at, questionId }),
);

const event: fc.Arbitrary<Make> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(...GREETING_IDS).map(
      (optionId): Make =>
        (at) => ({ type: 'visitor.greeting', at, optionId }),
    ),
  },
  { weight: 8, arbitrary: validAnswer },
  { weight: 4, arbitrary: anyAnswer },
  {
    weight: 3,
    arbitrary: contact,
  },
  {
    weight: 4,
    arbitrary: fc
      .record({
        action: fc.constantFrom(...ACTIONS),
        targetId: fc.option(fc.constantFrom(...PRODUCT_IDS, ...CTA_IDS, 'unknown_target'), {
          nil: undefined,
        }),
      })
      .map(
        ({ action, targetId }): Make =>
          (at) => {
            const e: ConversationEvent = { type: 'visitor.action', at, action };
            if (targetId !== undefined) e.targetId = targetId;
            return e;
          },
      ),
  },
  {
    // Browsing the product menu, so that the three-product cap is reached now and then.
    weight: 3,
    arbitrary: fc.constantFrom(...PRODUCT_IDS).map(
      (targetId): Make =>
        (at) => ({ type: 'visitor.action', at, action: 'clicked_product', targetId }),
    ),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(...CTA_IDS, 'bogus_cta').map(
      (ctaId): Make =>
        (at) => ({ type: 'visitor.cta', at, ctaId }),
    ),
  },
  { weight: 1, arbitrary: fc.constant<Make>((at) => ({ type: 'session.idle', at })) },
  { weight: 2, arbitrary: skip },
  { weight: 1, arbitrary: fc.constant<Make>((at) => ({ type: 'visitor.exit', at })) },
  { weight: 1, arbitrary: fc.constant<Make>((at) => ({ type: 'agent.takeover', at, agentId: 'agent-7' })) },
  { weight: 1, arbitrary: fc.constant<Make>((at) => ({ type: 'agent.release', at })) },
);

/** Seconds between events, now and then longer than the idle deadline. */
const delay = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 0, max: 300_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: IDLE_MS + 1, max: 4 * IDLE_MS }) },
);

/** Several product clicks in a row: reaches the three-product cap. */
const browse: fc.Arbitrary<Make[]> = fc
  .shuffledSubarray(PRODUCT_IDS, { minLength: 3, maxLength: 5 })
  .map((ids) =>
    ids.map(
      (targetId): Make =>
        (at) => ({ type: 'visitor.action', at, action: 'clicked_product', targetId }),
    ),
  );

/** Skipping every profile question in turn: only the optional ones are passed over. */
const skimAll: fc.Arbitrary<Make[]> = fc.constant(
  wf.questions.map(
    (q): Make =>
      (at) => ({ type: 'visitor.skip', at, questionId: q.id }),
  ),
);

/** The contact form (or skipping it as a question) and then a CTA: reaches the end of the conversation. */
const checkout: fc.Arbitrary<Make[]> = fc
  .tuple(
    fc.oneof(
      contact,
      fc.constant<Make>((at) => ({ type: 'visitor.skip', at, questionId: wf.contact.questionId })),
    ),
    fc.constantFrom(...CTA_IDS),
  )
  .map(([form, ctaId]) => [form, (at): ConversationEvent => ({ type: 'visitor.cta', at, ctaId })]);

const MAX_EVENTS = 40;

/** Up to 40 events, each after its own delay; now and then a run of valid answers to every question. */
const sequence = fc
  .record({
    groups: fc.array(
      fc.oneof(
        { weight: 15, arbitrary: event.map((make) => [make]) },
        { weight: 1, arbitrary: answerAll },
        { weight: 1, arbitrary: browse },
        { weight: 2, arbitrary: checkout },
        { weight: 1, arbitrary: skimAll },
      ),
      { minLength: 1, maxLength: MAX_EVENTS },
    ),
    delays: fc.array(delay, { minLength: MAX_EVENTS, maxLength: MAX_EVENTS }),
  })
  .map(({ groups, delays }) =>
    groups
      .flat()
      .slice(0, MAX_EVENTS)
      .map((make, i) => ({ make, delay: delays[i]! })),
  );

function count<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const item of items) m.set(key(item), (m.get(key(item)) ?? 0) + 1);
  return m;
}

function checkInvariants(sim: Simulation, where: string): void {
  const ledger = sim.ledger;
  expect(sim.score, where).toBe(ledger.reduce((s, e) => s + e.points, 0));

  const keys = ledger.map((e) => e.onceKey);
  expect(new Set(keys).size, `${where}: duplicate onceKey in ${keys.join(', ')}`).toBe(keys.length);

  // The score's parts: answer values are the fit, everything else the engagement.
  const fit = ledger.filter((e) => e.behavior === 'answer_value').reduce((s, e) => s + e.points, 0);
  expect(sim.parts, where).toEqual({ fit, engagement: sim.score - fit });
  expect(sim.classification, where).toBe(classify(sim.score, sim.workflow.thresholds, sim.parts));
  // Written out again: the total's thresholds, and the fit / engagement ones where the workflow sets them.
  const t = sim.workflow.thresholds;
  const meets = (level: 'sql' | 'mql') =>
    sim.score >= t[level] &&
    fit >= (t.fit?.[level] ?? Number.NEGATIVE_INFINITY) &&
    sim.score - fit >= (t.engagement?.[level] ?? Number.NEGATIVE_INFINITY);
  const expected = meets('sql') ? 'SQL' : meets('mql') ? 'MQL' : 'Unqualified';
  expect(sim.classification, where).toBe(expected);

  // An answer value is earned by the first answer to a profile question, on the same event, and is what
  // the picked option (or the first matching rule of a text question) is worth, never 0.
  for (const e of ledger.filter((x) => x.behavior === 'answer_value')) {
    const q = sim.workflow.questions.find((x) => x.id === e.evidence.questionId);
    expect(q, where).toBeDefined();
    const answered = ledger.find(
      (x) => x.behavior === 'answered_question' && x.evidence.questionId === e.evidence.questionId,
    );
    expect(answered?.at, `${where}: answer_value without its answer`).toBe(e.at);
    expect(e.points, where).not.toBe(0);
    if (e.evidence.optionId !== undefined) {
      const option = q!.options.find((o) => o.id === e.evidence.optionId);
      expect(e.points, where).toBe(option?.points);
      expect(e.evidence.label, where).toBe(option?.label);
    } else {
      const rule = q!.rules?.find((r) => r.pattern === e.evidence.pattern);
      expect(e.points, where).toBe(rule?.points);
    }
  }

  const byBehavior = count(ledger, (e) => e.behavior);
  for (const b of ONCE_PER_SESSION) {
    expect(byBehavior.get(b) ?? 0, `${where}: ${b}`).toBeLessThanOrEqual(1);
  }
  expect(byBehavior.get('session_opened'), where).toBe(1);
  expect(ledger[0]?.behavior, where).toBe('session_opened');

  const perQuestion = ledger.filter((e) => PER_QUESTION.includes(e.behavior));
  for (const e of perQuestion) {
    // Only the profile questions can be answered; the greeting, the contact form and unknown ids cannot.
    expect(
      wf.questions.map((q) => q.id),
      where,
    ).toContain(e.evidence.questionId);
  }
  // Only an optional question or the contact form is skipped, each once.
  const skips = ledger.filter((e) => e.behavior === 'question_skipped');
  for (const e of skips) {
    expect(SKIPPABLE_IDS, where).toContain(e.evidence.questionId);
    const question = sim.workflow.questions.find((q) => q.id === e.evidence.questionId);
    expect(question?.required ?? false, `${where}: skipped a required question`).toBe(false);
  }
  for (const [k, n] of count(
    [...perQuestion, ...skips],
    (e) => `${e.behavior}:${String(e.evidence.questionId)}`,
  )) {
    expect(n, `${where}: ${k}`).toBe(1);
  }

  const products = ledger.filter((e) => e.behavior === 'clicked_product');
  expect(products.length, where).toBeLessThanOrEqual(wf.scoring.clicked_product.maxProducts);
  expect(products.length, where).toBeLessThanOrEqual(3);
  // The demo item counts as the demo request, never as a product.
  expect(
    products.map((e) => e.evidence.targetId),
    where,
  ).not.toContain('demo');

  // Event times only increase, so the ledger's never go backwards.
  for (let i = 1; i < ledger.length; i++) {
    expect(ledger[i]!.at, `${where}: ledger[${i}].at`).toBeGreaterThanOrEqual(ledger[i - 1]!.at);
  }
}

function describeEvent(e: ConversationEvent): string {
  const { type, at: _at, ...rest } = e;
  return `${type}${Object.keys(rest).length > 0 ? JSON.stringify(rest) : ''}`;
}

describe('random conversations (property)', () => {
  it.each([
    ['the built-in workflow', wf],
    ['a workflow with optional questions', withOptional],
    ['a branched workflow (examples/branched.json)', branchedWorkflow],
    ['a workflow with thresholds on fit and engagement', withPartThresholds],
  ] as [string, Workflow][])(
    'keeps the ledger, score and classification consistent after every event: %s',
    (_name, workflow) => {
      expect(workflow.thresholds).toMatchObject({ sql: 60, mql: 30 });
      const seen = {
        completed: 0,
        declined: 0,
        afterDone: 0,
        allAnswered: 0,
        productCap: 0,
        dropout: 0,
        exited: 0,
        skippedContact: 0,
        skippedQuestion: 0,
        answerValue: 0,
        negativeValue: 0,
        ruleValue: 0,
        heldBackByParts: 0,
      };

      fc.assert(
        fc.property(sequence, (steps) => {
          const sim = new Simulation(workflow);
          const trail: string[] = [];
          let t = 0;
          checkInvariants(sim, 'start');
          for (const { delay: d, make } of steps) {
            t += d;
            const e = make(t);
            const wasDone = sim.done;
            const ledgerBefore = sim.ledger.length;
            const accepted = sim.send(e);
            trail.push(`${describeEvent(e)}${accepted ? '' : ' (refused)'}`);
            const where = trail.join(' → ');
            if (wasDone) {
              seen.afterDone += 1;
              // An ended conversation takes nothing more.
              expect(accepted, where).toBe(false);
              expect(sim.ledger.length, where).toBe(ledgerBefore);
              expect(sim.done, where).toBe(true);
            }
            if (!accepted) expect(sim.ledger.length, where).toBe(ledgerBefore);
            if (accepted && e.type === 'visitor.exit') {
              seen.exited += 1;
              // Leaving abandons the session; a second exit changes nothing.
              expect(sim.step, where).toBe('abandoned');
            }
            checkInvariants(sim, where);
          }
          if (sim.step === 'completed') seen.completed += 1;
          if (sim.step === 'declined') seen.declined += 1;
          const behaviors = sim.behaviors();
          if (behaviors.includes('answered_all_questions')) seen.allAnswered += 1;
          if (behaviors.includes('early_dropout')) seen.dropout += 1;
          const values = sim.ledger.filter((x) => x.behavior === 'answer_value');
          if (values.length > 0) seen.answerValue += 1;
          if (values.some((x) => x.points < 0)) seen.negativeValue += 1;
          if (values.some((x) => x.evidence.pattern !== undefined)) seen.ruleValue += 1;
          if (sim.score >= 60 && sim.classification !== 'SQL') seen.heldBackByParts += 1;
          if (behaviors.filter((b) => b === 'clicked_product').length === 3) seen.productCap += 1;
          for (const e of sim.ledger.filter((x) => x.behavior === 'question_skipped')) {
            if (e.evidence.questionId === workflow.contact.questionId) seen.skippedContact += 1;
            else seen.skippedQuestion += 1;
          }
        }),
        { numRuns: 300 },
      );

      // The generator reaches the interesting corners, so the invariants above are not checked vacuously.
      expect(seen.completed).toBeGreaterThan(0);
      expect(seen.declined).toBeGreaterThan(0);
      expect(seen.afterDone).toBeGreaterThan(0);
      expect(seen.allAnswered).toBeGreaterThan(0);
      expect(seen.dropout).toBeGreaterThan(0);
      expect(seen.productCap).toBeGreaterThan(0);
      expect(seen.exited).toBeGreaterThan(0);
      expect(seen.skippedContact).toBeGreaterThan(0);
      // Every workflow here but the branched example (no answer values) values its answers.
      if (workflow !== branchedWorkflow) {
        expect(seen.answerValue).toBeGreaterThan(0);
        expect(seen.negativeValue).toBeGreaterThan(0);
        expect(seen.ruleValue).toBeGreaterThan(0);
      }
      if (workflow === withPartThresholds) expect(seen.heldBackByParts).toBeGreaterThan(0);
      if (workflow.questions.some((q) => !q.required)) expect(seen.skippedQuestion).toBeGreaterThan(0);
      else expect(seen.skippedQuestion).toBe(0);
    },
  );

  it('refuses agent.release once the conversation has ended', () => {
    const declined = new Simulation();
    expect(declined.send({ type: 'visitor.greeting', at: 1_000, optionId: 'no' })).toBe(true);

    const completed = new Simulation();
    let t = 0;
    const answers: ConversationEvent[] = wf.questions.map((q) =>
      q.type === 'text'
        ? { type: 'visitor.answer', at: 0, questionId: q.id, text: 'Pune' }
        : { type: 'visitor.answer', at: 0, questionId: q.id, optionIds: [q.options[0]!.id] },
    );
    for (const e of [
      ...answers,
      { type: 'visitor.contact', at: 0, skip: true },
      { type: 'visitor.cta', at: 0, ctaId: 'talk_to_sales' },
    ] as ConversationEvent[]) {
      t += 1_000;
      expect(completed.send({ ...e, at: t })).toBe(true);
    }

    for (const sim of [declined, completed]) {
      expect(sim.done).toBe(true);
      const ledger = sim.ledger.length;
      expect(sim.send({ type: 'session.idle', at: 50_000 })).toBe(false);
      expect(sim.send({ type: 'agent.takeover', at: 50_000, agentId: 'a' })).toBe(false);
      expect(sim.send({ type: 'agent.release', at: 50_000 })).toBe(false);
      expect(sim.ledger.length).toBe(ledger);
    }
  });
});
