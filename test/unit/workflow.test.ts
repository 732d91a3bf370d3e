import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { answerText, resolveAnswer, resolveOptions } from '../../src/workflow/answers.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { loadWorkflow, parseWorkflow, WorkflowError } from '../../src/workflow/load.js';
import { pageRulesFor } from '../../src/workflow/pages.js';
import type { Question } from '../../src/workflow/schema.js';

const wf = loadWorkflow();

/** A deep copy of the built-in workflow to break. */
// biome-ignore lint/suspicious/noExplicitAny: the copies are deliberately made invalid
const copy = (): any => structuredClone(defaultWorkflow);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

function workflowError(fn: () => unknown): WorkflowError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(WorkflowError);
  return err as WorkflowError;
}

function appError(fn: () => unknown, code: string): AppError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

const question = (id: number): Question => wf.questions.find((q) => q.id === id)!;

describe('the built-in workflow', () => {
  it('parses and is frozen', () => {
    expect(wf.name).toBe('YouShop / YouResto lead qualification');
    expect(Object.isFrozen(wf)).toBe(true);
    expect(Object.isFrozen(wf.questions[0]!.options)).toBe(true);
    expect(() => parseWorkflow(defaultWorkflow)).not.toThrow();
  });

  it('numbers its questions 1..7: greeting 1, profile questions 2–6, contact 7', () => {
    expect(wf.greeting.questionId).toBe(1);
    expect(wf.questions.map((q) => q.id)).toEqual([2, 3, 4, 5, 6]);
    expect(wf.contact.questionId).toBe(7);
    expect(wf.questions.map((q) => [q.id, q.step, q.type])).toEqual([
      [2, 'business_type', 'single_choice'],
      [3, 'location', 'text'],
      [4, 'staff_size', 'single_choice'],
      [5, 'monthly_sales', 'single_choice'],
      [6, 'needs', 'multi_choice'],
    ]);
    expect(wf.greeting.options.map((o) => [o.id, o.next])).toEqual([
      ['yes', 'questions'],
      ['about', 'about'],
      ['no', 'declined'],
    ]);
  });

  it('has the five CTAs with their points', () => {
    expect(wf.cta.options.map((c) => [c.id, c.points, c.action])).toEqual([
      ['talk_to_sales', 15, 'complete'],
      ['request_callback', 15, 'complete'],
      ['start_trial', 15, 'complete'],
      ['restart_bot', 0, 'restart'],
      ['human_help', 10, 'human_help'],
    ]);
  });

  it('has the products with their points; only demo is a demo request', () => {
    expect(wf.products.map((p) => [p.id, p.points, p.demo])).toEqual([
      ['billing', 5, false],
      ['inventory', 5, false],
      ['qr_payments', 5, false],
      ['staff_hr', 5, false],
      ['online_selling', 5, false],
      ['whatsapp_tools', 5, false],
      ['loans_offers', 5, false],
      ['demo', 15, true],
      ['other', 5, false],
    ]);
  });

  it('has the thresholds and the idle deadline', () => {
    expect(wf.thresholds).toEqual({ sql: 60, mql: 30 });
    expect(wf.idleMinutes).toBe(30);
  });

  it("ships the earlier service's two experiments, on, with its variant ids and configurations", () => {
    expect(wf.experiments).toEqual([
      {
        name: 'greeting_message',
        kind: 'greeting_message',
        enabled: true,
        variants: [
          { id: 'A', weight: 1, config: { text: 'Hi! Welcome to YouShop!' } },
          { id: 'B', weight: 1, config: { text: '🔥 Transform your business with YouShop!' } },
        ],
      },
      {
        name: 'question_flow',
        kind: 'question_flow',
        enabled: true,
        variants: [
          { id: 'A', weight: 1, config: { order: [2, 3, 4, 5, 6] } },
          { id: 'B', weight: 1, config: { order: [4, 2, 3, 5, 6] } },
        ],
      },
    ]);
    const step = (id: number) => wf.questions.find((q) => q.id === id)?.step;
    expect((wf.experiments[1]!.variants[0]!.config.order as number[]).map(step)).toEqual([
      'business_type',
      'location',
      'staff_size',
      'monthly_sales',
      'needs',
    ]);
    expect((wf.experiments[1]!.variants[1]!.config.order as number[]).slice(0, 3).map(step)).toEqual([
      'staff_size',
      'business_type',
      'location',
    ]);
  });
});

describe('parseWorkflow', () => {
  it('names the path of each problem on its own', () => {
    const cases: [string, (w: ReturnType<typeof copy>) => void, RegExp][] = [
      ['sql below mql', (w) => (w.thresholds = { sql: 20, mql: 30 }), /thresholds\.sql/],
      ['sql equal to mql', (w) => (w.thresholds = { sql: 30, mql: 30 }), /thresholds\.sql/],
      ['unknown question type', (w) => (w.questions[1].type = 'essay'), /questions\[1\]\.type/],
      [
        'duplicate option id',
        (w) => (w.questions[0].options[1].id = 'kirana_retail'),
        /"kirana_retail" is used twice[\s\S]*questions\[0\]\.options/,
      ],
      ['missing greeting text', (w) => delete w.greeting.text, /greeting\.text/],
      ['unknown top-level field', (w) => (w.colour = 'blue'), /Unrecognized key: "colour"/],
      ['duplicate question id', (w) => (w.contact.questionId = 2), /question id 2 is used twice/],
      ['choice question without options', (w) => (w.questions[0].options = []), /questions\[0\]\.options/],
      ['duplicate CTA id', (w) => (w.cta.options[1].id = 'talk_to_sales'), /cta\.options/],
      ['bad id characters', (w) => (w.products[0].id = 'Billing!'), /products\[0\]\.id/],
    ];
    for (const [name, breakIt, pattern] of cases) {
      const w = copy();
      breakIt(w);
      const err = workflowError(() => parseWorkflow(w, 'test workflow'));
      expect(err.message, name).toMatch(/^test workflow is not a valid workflow/);
      expect(err.message, name).toMatch(pattern);
    }
  });

  it('names every bad path of a workflow with several field problems', () => {
    const w = copy();
    w.thresholds = { sql: 20, mql: 30 };
    w.questions[1].type = 'essay';
    delete w.greeting.text;
    w.colour = 'blue';
    const err = workflowError(() => parseWorkflow(w));
    expect(err.message).toMatch(/thresholds\.sql/);
    expect(err.message).toMatch(/questions\[1\]\.type/);
    expect(err.message).toMatch(/greeting\.text/);
    expect(err.message).toMatch(/colour/);
  });

  it('names a duplicate option id alongside field problems', () => {
    const w = copy();
    w.thresholds = { sql: 20, mql: 30 };
    w.questions[1].type = 'essay';
    w.questions[0].options[1].id = 'kirana_retail';
    delete w.greeting.text;
    w.colour = 'blue';
    const err = workflowError(() => parseWorkflow(w));
    expect(err.message).toMatch(/thresholds\.sql/);
    expect(err.message).toMatch(/questions\[1\]\.type/);
    expect(err.message).toMatch(/greeting\.text/);
    expect(err.message).toMatch(/colour/);
    expect(err.message).toMatch(/questions\[0\]\.options/);
  });

  it('applies the defaults', () => {
    const w = copy();
    delete w.idleMinutes;
    delete w.experiments;
    delete w.questions[0].required;
    delete w.products[0].demo;
    const parsed = parseWorkflow(w);
    expect(parsed.idleMinutes).toBe(30);
    expect(parsed.experiments).toEqual([]);
    expect(parsed.questions[0]!.required).toBe(true);
    expect(parsed.products[0]!.demo).toBe(false);
    expect(parsed.questions.find((q) => q.type === 'text')!.options).toEqual([]);
  });
});

describe('loadWorkflow(file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'workflow-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a valid JSON file', () => {
    const w = copy();
    w.name = 'From a file';
    w.thresholds = { sql: 50, mql: 20 };
    const file = join(dir, 'valid.json');
    writeFileSync(file, JSON.stringify(w));
    const loaded = loadWorkflow(file);
    expect(loaded.name).toBe('From a file');
    expect(loaded.thresholds).toEqual({ sql: 50, mql: 20 });
    expect(loaded.questions.map((q) => q.id)).toEqual([2, 3, 4, 5, 6]);
    expect(Object.isFrozen(loaded)).toBe(true);
  });

  it('names the file when it is not JSON', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "name": "oops", ');
    const err = workflowError(() => loadWorkflow(file));
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/could not be read as JSON/);
  });

  it('names the file when it is missing', () => {
    const file = join(dir, 'missing.json');
    const err = workflowError(() => loadWorkflow(file));
    expect(err.message).toContain(file);
  });

  it('names the file and the bad path when the JSON is not a valid workflow', () => {
    const w = copy();
    w.thresholds.sql = 10;
    const file = join(dir, 'invalid.json');
    writeFileSync(file, JSON.stringify(w));
    const err = workflowError(() => loadWorkflow(file));
    expect(err.message).toContain(`WORKFLOW_FILE ${file} is not a valid workflow`);
    expect(err.message).toMatch(/thresholds\.sql/);
  });
});

describe('answers', () => {
  const business = question(2);
  const location = question(3);
  const needs = question(6);

  it('resolves labels case-insensitively and ids as they are', () => {
    expect(resolveOptions(business.options, { text: 'kirana / retail shop' }, false)).toEqual([
      'kirana_retail',
    ]);
    expect(resolveOptions(business.options, { text: '  RESTAURANT / CAFÉ ' }, false)).toEqual([
      'restaurant_cafe',
    ]);
    expect(resolveOptions(business.options, { text: 'wholesale_fmcg' }, false)).toEqual(['wholesale_fmcg']);
    expect(resolveOptions(business.options, { optionIds: ['other'] }, false)).toEqual(['other']);
    expect(resolveAnswer(business, { text: 'Other' })).toEqual({ optionIds: ['other'] });
  });

  it('prefers option ids over text', () => {
    expect(resolveOptions(business.options, { optionIds: ['other'], text: 'Just me' }, false)).toEqual([
      'other',
    ]);
  });

  it('takes comma-separated labels for a multi_choice, in order and without repeats', () => {
    expect(resolveAnswer(needs, { text: 'qr payments, Billing / Invoicing,INVENTORY' })).toEqual({
      optionIds: ['qr_payments', 'billing', 'inventory'],
    });
    expect(resolveAnswer(needs, { text: 'Loans, loans, ' })).toEqual({ optionIds: ['loans'] });
    expect(resolveAnswer(needs, { optionIds: ['staff_hr', 'online_store'] })).toEqual({
      optionIds: ['staff_hr', 'online_store'],
    });
  });

  it('rejects an unknown label with invalid_option listing the options', () => {
    const err = appError(() => resolveAnswer(business, { text: 'Bakery' }), 'invalid_option');
    expect(err.message).toContain('Bakery');
    expect(err.details).toEqual({ options: business.options.map(({ id, label }) => ({ id, label })) });
    expect(err.status).toBe(422);

    const multi = appError(
      () => resolveAnswer(needs, { text: 'Billing / Invoicing, Payroll' }),
      'invalid_option',
    );
    expect(multi.message).toContain('Payroll');
    expect((multi.details as { options: unknown[] }).options).toHaveLength(needs.options.length);

    appError(() => resolveOptions(business.options, { optionIds: ['bogus'] }, false), 'invalid_option');
  });

  it('rejects no pick at all', () => {
    appError(() => resolveAnswer(business, {}), 'invalid_option');
    appError(() => resolveAnswer(needs, { text: ' , ,' }), 'invalid_option');
  });

  it('rejects more than one option for a single_choice', () => {
    const err = appError(
      () => resolveAnswer(business, { optionIds: ['kirana_retail', 'other'] }),
      'invalid_option',
    );
    expect((err.details as { options: unknown[] }).options).toHaveLength(business.options.length);
    // Commas only split labels for a multi_choice: this is one label no option has.
    appError(() => resolveAnswer(business, { text: 'Kirana / Retail Shop, Other' }), 'invalid_option');
  });

  it('takes trimmed text for a text question and rejects an empty one', () => {
    expect(resolveAnswer(location, { text: '  Pune  ' })).toEqual({ text: 'Pune' });
    for (const raw of [{}, { text: '' }, { text: '   ' }]) {
      const err = appError(() => resolveAnswer(location, raw), 'validation_failed');
      expect(err.details).toEqual({ field: 'text' });
    }
  });

  it('answerText gives labels for choices and the text for a text question', () => {
    expect(answerText(needs, { optionIds: ['billing', 'loans'] })).toBe('Billing / Invoicing, Loans');
    expect(answerText(business, { optionIds: ['kirana_retail'] })).toBe('Kirana / Retail Shop');
    expect(answerText(business, { optionIds: ['gone'] })).toBe('gone');
    expect(answerText(location, { text: 'Pune' })).toBe('Pune');
    expect(answerText(location, {})).toBe('');
  });

  it('answerText reads back as the same answer', () => {
    for (const q of [business, needs, question(4), question(5)]) {
      const picks = q.type === 'multi_choice' ? [q.options.map((o) => o.id)] : q.options.map((o) => [o.id]);
      for (const optionIds of picks) {
        expect(resolveAnswer(q, { text: answerText(q, { optionIds }) })).toEqual({ optionIds });
      }
    }
  });

  it('page rules: none by default; a rule names its own behaviour, a path pattern and points', () => {
    expect(wf.scoring.pages).toEqual([]);
    expect(pageRulesFor(wf, '/pricing')).toEqual([]);
    const w = copy();
    w.scoring.pages = [
      { behavior: 'viewed_pricing_page', pattern: '/pricing*', points: 10 },
      { behavior: 'viewed_docs', pattern: '/docs/*/install', points: 3 },
    ];
    const parsed = parseWorkflow(w);
    const names = (url: string) => pageRulesFor(parsed, url).map((r) => r.behavior);
    expect(names('https://shop.example/pricing')).toEqual(['viewed_pricing_page']);
    expect(names('/pricing/teams?plan=pro#top')).toEqual(['viewed_pricing_page']);
    expect(names('/docs/v2/install')).toEqual(['viewed_docs']);
    // The path is matched whole, and a dot in a pattern is a dot.
    expect(names('/en/pricing')).toEqual([]);
    expect(names('/docs/v2/install/more')).toEqual([]);
    for (const [rules, pattern] of [
      [[{ behavior: 'clicked_pricing', pattern: '/pricing', points: 1 }], /built-in behaviour/],
      [
        [
          { behavior: 'seen', pattern: '/a', points: 1 },
          { behavior: 'seen', pattern: '/b', points: 1 },
        ],
        /"seen" is used twice/,
      ],
      [[{ behavior: 'seen', pattern: 'pricing', points: 1 }], /a path, starting with \//],
      [[{ behavior: 'seen', pattern: '/a', points: 5000 }], /scoring\.pages\[0\]\.points/],
    ] as const) {
      const bad = copy();
      bad.scoring.pages = rules;
      expect(workflowError(() => parseWorkflow(bad)).message).toMatch(pattern);
    }
  });
});
