import { describe, expect, it } from 'vitest';
import { newLead } from '../../src/conversation/new-lead.js';
import { AppError } from '../../src/errors.js';
import { leadsCsv } from '../../src/leads/csv.js';
import { buildMessage, messageText } from '../../src/notifications/message.js';
import { answerText, resolveAnswer } from '../../src/workflow/answers.js';
import { customFieldsOf, fieldWrite } from '../../src/workflow/fields.js';
import { renderPrompt } from '../../src/workflow/prompts.js';
import { type Question, workflowSchema } from '../../src/workflow/schema.js';
import {
  CUSTOM_ANSWERS,
  customFieldsWorkflowInput,
  customFieldsWorkflow as wf,
} from '../support/custom-fields.js';

const q = (field: string): Question => wf.questions.find((x) => x.field === field)!;

function refused(question: Question, text: string, region = 'IN'): AppError {
  let err: unknown;
  try {
    resolveAnswer(question, { text }, region);
  } catch (e) {
    err = e;
  }
  expect(err, `"${text}" for ${question.field}`).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('validation_failed');
  return err as AppError;
}

/** The problems a workflow with these questions has, as "path: message". */
function problems(questions: unknown[]): string[] {
  const result = workflowSchema.safeParse({ ...customFieldsWorkflowInput, questions });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const base = { step: 'extra', text: 'Extra?', type: 'text' };

describe('custom fields: the workflow', () => {
  it('lists its custom fields with their types, in question order', () => {
    expect(customFieldsOf(wf)).toEqual([
      { name: 'table_count', type: 'number', questionId: 8 },
      { name: 'average_bill', type: 'number', questionId: 9 },
      { name: 'owner_email', type: 'email', questionId: 10 },
      { name: 'owner_phone', type: 'phone', questionId: 11 },
      { name: 'opened_on', type: 'date', questionId: 12 },
      { name: 'cuisine', type: 'choice', questionId: 13 },
      { name: 'delivery_apps', type: 'multi_choice', questionId: 14 },
      { name: 'note', type: 'text', questionId: 15 },
    ]);
  });

  it('refuses a field beside a profileField, a field used twice or named like a lead field, bad bounds and stray options', () => {
    const list = problems([
      { ...base, id: 2, profileField: 'location', field: 'city' },
      { ...base, id: 3, field: 'dup' },
      { ...base, id: 4, field: 'dup' },
      { ...base, id: 5, field: 'email' },
      { ...base, id: 6, field: 'Bad-Name' },
      { ...base, id: 8, type: 'number', min: 10, max: 1 },
      { ...base, id: 9, type: 'number', integer: true, min: 1.5 },
      { ...base, id: 10, type: 'date', min: '2026-02-30' },
      { ...base, id: 11, type: 'text', min: 1 },
      { ...base, id: 12, type: 'email', options: [{ id: 'a', label: 'A' }] },
      { ...base, id: 13, type: 'date', integer: true },
      { ...base, id: 14, type: 'phone', field: 'business_type' },
    ]);
    const at = (path: string) => list.filter((p) => p.startsWith(`${path}:`));
    expect(at('questions.0.field')).toEqual(['questions.0.field: give profileField or field, not both']);
    expect(at('questions.2.field')).toEqual(['questions.2.field: field "dup" is used twice']);
    expect(at('questions.3.field')[0]).toMatch(/"email" is a field of the lead already/);
    expect(at('questions.4.field')).toHaveLength(1);
    expect(at('questions.5.max')).toEqual(['questions.5.max: min must not be greater than max']);
    expect(at('questions.6.min')[0]).toMatch(/whole number/);
    expect(at('questions.7.min')[0]).toMatch(/yyyy-mm-dd/);
    expect(at('questions.8.min')[0]).toMatch(/number and date questions only/);
    expect(at('questions.9.options')[0]).toMatch(/email question takes no options/);
    expect(at('questions.10.integer')[0]).toMatch(/number questions only/);
    expect(at('questions.11.field')[0]).toMatch(/"business_type" is a field of the lead already/);
  });

  it('takes a question with neither profileField nor field (its answer is only stored as an answer)', () => {
    expect(problems([{ ...base, id: 2 }])).toEqual([]);
  });

  it('tells the widget the kind of field to offer', () => {
    const inputs = wf.questions.map((x) => renderPrompt(wf, { step: 'questions', questionId: x.id }).input);
    expect(inputs).toEqual([
      'choice',
      'text',
      'choice',
      'choice',
      'multi_choice',
      'number',
      'number',
      'email',
      'phone',
      'date',
      'choice',
      'multi_choice',
      'text',
    ]);
    expect(renderPrompt(wf, { step: 'questions', questionId: 12 }).options).toBeUndefined();
    // Bounds go along for the widget's field; a question without any has none.
    expect(renderPrompt(wf, { step: 'questions', questionId: 8 }).bounds).toEqual({
      min: 1,
      max: 500,
      integer: true,
    });
    expect(renderPrompt(wf, { step: 'questions', questionId: 12 }).bounds).toEqual({
      min: '1950-01-01',
      max: '2030-12-31',
    });
    expect(renderPrompt(wf, { step: 'questions', questionId: 10 })).not.toHaveProperty('bounds');
    expect(renderPrompt(wf, { step: 'questions', questionId: 2 })).not.toHaveProperty('bounds');
  });
});

describe('custom fields: answers', () => {
  it('normalises a typed answer of every kind and stores it typed', () => {
    for (const [id, typed, field, stored] of CUSTOM_ANSWERS) {
      const question = wf.questions.find((x) => x.id === id)!;
      const answer = resolveAnswer(question, { text: typed });
      const fact = { optionIds: answer.optionIds ?? [], text: answer.text ?? null };
      expect(fieldWrite(question, fact), field).toEqual({ customField: field, value: stored });
    }
  });

  it('numbers: grouping commas (also Indian), decimals, a sign; integers and bounds checked', () => {
    const bill = q('average_bill');
    const tables = q('table_count');
    for (const [typed, normal] of [
      ['12,00,000', '1200000'],
      ['1,200,000.75', '1200000.75'],
      ['0.5', '0.5'],
      ['+7', '7'],
      ['007', '7'],
    ]) {
      expect(resolveAnswer(bill, { text: typed })).toEqual({ text: normal });
    }
    expect(resolveAnswer(tables, { text: '500' })).toEqual({ text: '500' });
    expect(resolveAnswer(tables, { text: '12.0' })).toEqual({ text: '12' });
    for (const bad of [
      'twelve',
      '1,5',
      '1.',
      '.5',
      '1e3',
      '12 tables',
      '0x10',
      'Infinity',
      '',
      '1'.repeat(41),
    ])
      refused(bill, bad);
    refused(bill, '-1');
    for (const bad of ['0', '501', '2.5', '-3']) refused(tables, bad);
  });

  it('a refusal names the field and what was expected', () => {
    const err = refused(q('table_count'), '2.5');
    expect(err.message).toBe('table_count: a whole number from 1 to 500 was expected.');
    expect(err.details).toEqual({
      field: 'table_count',
      questionId: 8,
      expected: 'a whole number from 1 to 500',
    });
    expect(refused(q('average_bill'), 'lots').message).toBe(
      'average_bill: a number of at least 0 was expected.',
    );
    expect(refused(q('owner_email'), 'owner at example').message).toBe(
      'owner_email: an e-mail address was expected.',
    );
    expect(refused(q('owner_phone'), '12').message).toBe('owner_phone: a phone number was expected.');
    expect(refused(q('opened_on'), '31/12/2020').message).toBe(
      'opened_on: a date written yyyy-mm-dd, from 1950-01-01 to 2030-12-31 was expected.',
    );
  });

  it('e-mails in lower case; phones in E.164 for the default region or with their country code', () => {
    expect(resolveAnswer(q('owner_email'), { text: 'A.B@Example.In' })).toEqual({ text: 'a.b@example.in' });
    for (const bad of ['a@', '@b.in', 'a b@c.in', `${'a'.repeat(320)}@b.in`]) refused(q('owner_email'), bad);
    expect(resolveAnswer(q('owner_phone'), { text: '+44 20 7946 0958' })).toEqual({ text: '+442079460958' });
    expect(resolveAnswer(q('owner_phone'), { text: '(020) 7946 0958' }, 'GB')).toEqual({
      text: '+442079460958',
    });
    for (const bad of ['12345', 'call me', '+1 555']) refused(q('owner_phone'), bad);
  });

  it('dates: real days only, yyyy-mm-dd, within the bounds', () => {
    const opened = q('opened_on');
    expect(resolveAnswer(opened, { text: '2024-02-29' })).toEqual({ text: '2024-02-29' });
    expect(resolveAnswer(opened, { text: '1950-01-01' })).toEqual({ text: '1950-01-01' });
    for (const bad of [
      '2023-02-29',
      '2026-13-01',
      '2026-04-31',
      '2026-1-5',
      '05-01-2026',
      '1949-12-31',
      '2031-01-01',
    ])
      refused(opened, bad);
  });

  it('choices store option ids; the answer text stays the labels', () => {
    const cuisine = q('cuisine');
    expect(resolveAnswer(cuisine, { text: 'chinese' })).toEqual({ optionIds: ['chinese'] });
    expect(answerText(cuisine, { optionIds: ['chinese'] })).toBe('Chinese');
    expect(answerText(q('table_count'), { text: '24' })).toBe('24');
  });

  it('a seed profile field keeps its stored form (labels for choices, text otherwise)', () => {
    const business = wf.questions.find((x) => x.id === 2)!;
    expect(fieldWrite(business, { optionIds: ['other'], text: null })).toEqual({
      profileField: 'business_type',
      value: 'Other',
    });
    const location = wf.questions.find((x) => x.id === 3)!;
    expect(fieldWrite(location, { optionIds: [], text: 'Pune' })).toEqual({
      profileField: 'location',
      value: 'Pune',
    });
  });
});

describe('custom fields: where they show', () => {
  const lead = () => ({
    ...newLead('sess_0123456789abcdef0123456789abcdef', {}, { variants: {}, questionOrder: [] }, 0, 'v1'),
    customFields: { table_count: 24, delivery_apps: ['swiggy', 'zomato'], note: '<b>hi</b>', none: [] },
  });

  it('a notification lists them last, a line each, as text the channels escape', () => {
    const m = buildMessage({ id: 1, trigger: 'sql', note: null }, lead(), [], 'https://bot.example');
    expect(m.profile.slice(-4)).toEqual([
      ['table_count', '24'],
      ['delivery_apps', 'swiggy, zomato'],
      ['note', '<b>hi</b>'],
      ['none', '—'],
    ]);
    expect(messageText(m)).toContain('\ntable_count: 24\n');
  });

  it('the CSV has a column per field of the workflow, in its order', async () => {
    const csv = leadsCsv(customFieldsOf(wf));
    const out: string[] = [];
    csv.on('data', (chunk: Buffer) => out.push(chunk.toString()));
    const done = new Promise((resolve) => csv.on('end', resolve));
    csv.end({
      session_id: 's',
      custom_fields: { table_count: -3, owner_phone: '+919876543210', note: '@SUM(1)' },
    });
    await done;
    const [header, row] = out.join('').trim().split('\n');
    const cells = Object.fromEntries(header!.split(',').map((h, i) => [h, row!.split(',')[i]]));
    expect(header).toMatch(/,custom_fields\.table_count,.*,custom_fields\.note,behavior_metadata$/);
    // A number stays a number (a minus sign is no formula there); visitor text is guarded; E.164 stays.
    expect(cells['custom_fields.table_count']).toBe('-3');
    expect(cells['custom_fields.owner_phone']).toBe('+919876543210');
    expect(cells['custom_fields.note']).toBe("'@SUM(1)");
    expect(cells['custom_fields.cuisine']).toBe('');
  });
});
