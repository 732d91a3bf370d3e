import { describe, expect, it } from 'vitest';
import { withTranslations } from '../../src/workflow/catalog.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { loadWorkflow, parseWorkflow, WorkflowError } from '../../src/workflow/load.js';
import {
  acceptedLanguages,
  fallbackChain,
  matchLocale,
  negotiateLocale,
  workflowIn,
} from '../../src/workflow/locales.js';
import { renderPrompt } from '../../src/workflow/prompts.js';
import type { WorkflowInput } from '../../src/workflow/schema.js';
import { hindi } from '../../src/workflow/translations/hi.js';
import { tamil } from '../../src/workflow/translations/ta.js';
import { presentationOf } from '../../src/workflow/variants.js';

const wf = loadWorkflow();
const locales = { default: 'en', available: ['en', 'hi', 'ta'], partial: [] };

/** The English workflow speaking Hindi too, its question 2 left as `text`. */
function bilingual(text: WorkflowInput['questions'][number]['text'], partial: string[] = []): WorkflowInput {
  const [q2, ...rest] = defaultWorkflow.questions;
  return {
    ...defaultWorkflow,
    locales: { default: 'en', available: ['en', 'hi'], partial },
    questions: [{ ...q2!, text }, ...rest],
  };
}

/** A logger that keeps what it is told. */
function recorder() {
  const warnings: { data: Record<string, unknown>; message: string }[] = [];
  return {
    warnings,
    warn: (data: Record<string, unknown>, message: string) => warnings.push({ data, message }),
  };
}

describe('locale resolution', () => {
  it('falls back from a regional tag to its language, then to nothing', () => {
    expect(fallbackChain('hi-IN')).toEqual(['hi-in', 'hi']);
    expect(fallbackChain('zh_Hant_TW')).toEqual(['zh-hant-tw', 'zh-hant', 'zh']);
    expect(matchLocale(locales, 'hi-IN')).toBe('hi');
    expect(matchLocale(locales, 'TA')).toBe('ta');
    expect(matchLocale(locales, 'en-GB')).toBe('en');
    expect(matchLocale(locales, 'fr-FR')).toBeNull();
    expect(matchLocale(locales, '')).toBeNull();
  });

  it('reads Accept-Language best first, q=0 and * left out', () => {
    expect(acceptedLanguages('fr-FR, ta;q=0.8, en;q=0.9, hi;q=0, *;q=0.1')).toEqual(['fr-FR', 'en', 'ta']);
    expect(acceptedLanguages(undefined)).toEqual([]);
  });

  it('negotiates: the asked locale, else Accept-Language, else the default', () => {
    expect(negotiateLocale(locales, { locale: 'ta-IN', acceptLanguage: 'hi' })).toBe('ta');
    expect(negotiateLocale(locales, { locale: 'fr', acceptLanguage: 'de, hi-IN;q=0.5' })).toBe('hi');
    expect(negotiateLocale(locales, { acceptLanguage: 'de, fr' })).toBe('en');
    expect(negotiateLocale(locales, {})).toBe('en');
  });
});

describe('the built-in workflow', () => {
  it('speaks English, Hindi and Tamil, with the same ids and points in every language', () => {
    expect(wf.locales).toEqual(locales);
    const hi = workflowIn(wf, 'hi-IN');
    const ta = workflowIn(wf, 'ta');
    expect(workflowIn(wf, 'fr')).toBe(wf);
    expect(hi.greeting.text).toMatch(/[\u0900-\u097F]/);
    expect(ta.greeting.text).toMatch(/[\u0B80-\u0BFF]/);
    const skeleton = (w: typeof wf) => ({
      questions: w.questions.map((q) => [q.id, q.step, q.type, q.options.map((o) => o.id)]),
      cta: w.cta.options.map((c) => [c.id, c.points, c.action]),
      products: w.products.map((p) => [p.id, p.points]),
      scoring: w.scoring,
      thresholds: w.thresholds,
    });
    expect(skeleton(hi)).toEqual(skeleton(wf));
    expect(skeleton(ta)).toEqual(skeleton(wf));
    // Every label is translated but the ones that read the same in every script.
    const labels = (w: typeof wf) => w.questions.flatMap((q) => q.options.map((o) => o.label));
    const same = labels(wf).filter((l, i) => labels(hi)[i] === l || labels(ta)[i] === l);
    expect(same).toEqual(['2–5', '6–15']);
    // ₹ amounts and brand names stay.
    expect(hi.questions.find((q) => q.id === 5)!.options.every((o) => o.label.includes('₹'))).toBe(true);
    expect(ta.greeting.aboutText).toContain('YouResto');
  });

  it('renders a prompt in a locale along its chain, the experiment greeting too', () => {
    const prompt = renderPrompt(wf, { step: 'questions', questionId: 2 }, {}, 'hi-IN');
    expect(prompt).toMatchObject({
      step: 'business_type',
      locale: 'hi',
      text: 'आप किस तरह का बिज़नेस चलाते हैं?',
    });
    expect(prompt.options?.[0]).toEqual({ id: 'kirana_retail', label: 'किराना / रिटेल दुकान' });
    expect(renderPrompt(wf, { step: 'completed' }, {}, 'fr')).toMatchObject({
      locale: 'en',
      text: wf.completedText,
    });
    expect(renderPrompt(wf, { step: 'completed' })).not.toHaveProperty('locale');
    expect(presentationOf(wf, { greeting_message: 'A' }, 'ta').greetingText).toBe(
      'வணக்கம்! YouShop-க்கு வரவேற்கிறோம்!',
    );
    expect(presentationOf(wf, { greeting_message: 'A' }).greetingText).toBe('Hi! Welcome to YouShop!');
  });

  it('is written back as the source it was read from, translations and all', () => {
    const again = parseWorkflow(JSON.parse(JSON.stringify(wf)));
    expect(workflowIn(again, 'ta').questions).toEqual(workflowIn(wf, 'ta').questions);
    expect(again).toEqual(wf);
  });
});

describe('missing translations', () => {
  it('stop the start-up, naming the text and the locale', () => {
    let error: unknown;
    try {
      parseWorkflow(bilingual({ en: 'What kind of business do you run?' }), 'test workflow');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WorkflowError);
    expect((error as Error).message).toContain('test workflow is missing translations');
    expect((error as Error).message).toContain('questions.0.text: no "hi" text');
  });

  it('refuse a locale the workflow does not list, and a text without the default locale', () => {
    expect(() => parseWorkflow(bilingual({ en: 'Kind?', hi: 'प्रकार?', ta: 'வகை?' }))).toThrow(
      /questions\.0\.text: "ta" is not one of locales\.available/,
    );
    expect(() => parseWorkflow(bilingual({ hi: 'प्रकार?' }))).toThrow(/questions\.0\.text: no "en" text/);
    expect(() =>
      parseWorkflow({ ...defaultWorkflow, locales: { default: 'en', available: ['hi'] } }),
    ).toThrow(/must include the default "en"\n {2}→ at locales.available/);
  });

  it('of a partial locale use the default locale, warned once per text and locale', () => {
    const log = recorder();
    const parsed = parseWorkflow(bilingual({ en: 'What kind of business do you run?' }, ['hi']), 'wf', log);
    expect(log.warnings).toEqual([
      {
        data: { path: 'questions.0.text', locale: 'hi', fallback: 'en' },
        message: expect.stringContaining('default locale is used'),
      },
    ]);
    expect(renderPrompt(parsed, { step: 'questions', questionId: 2 }, {}, 'hi').text).toBe(
      'What kind of business do you run?',
    );
    // Rendering again warns no more.
    renderPrompt(parsed, { step: 'questions', questionId: 2 }, {}, 'hi');
    expect(log.warnings).toHaveLength(1);
  });

  it('are no error for a plain string: one text for every language', () => {
    const parsed = parseWorkflow(bilingual('Business type?'));
    expect(workflowIn(parsed, 'hi').questions[0]!.text).toBe('Business type?');
  });

  it('of an experiment greeting text are named too', () => {
    const input = bilingual({ en: 'Kind?', hi: 'प्रकार?' });
    const experiments = [
      {
        name: 'greeting_message',
        kind: 'greeting_message' as const,
        variants: [{ id: 'A', weight: 1, config: { text: { en: 'Hello!' } } }],
      },
    ];
    expect(() => parseWorkflow({ ...input, experiments })).toThrow(
      /experiments\.0\.variants\.0\.config\.text: no "hi" text/,
    );
  });
});

describe('the translation catalogs of the built-in workflow', () => {
  it('name every text by id, so an English text added without translations stops the start-up', () => {
    const [q2, ...rest] = defaultWorkflow.questions;
    const english: WorkflowInput = {
      ...defaultWorkflow,
      questions: [{ ...q2!, options: [...q2!.options!, { id: 'pharmacy', label: 'Pharmacy' }] }, ...rest],
    };
    expect(() => parseWorkflow(withTranslations(english, { hi: hindi, ta: tamil }))).toThrow(
      /questions\.0\.options\.4\.label: no "hi" text[\s\S]*questions\.0\.options\.4\.label: no "ta" text/,
    );
    // Listed as partial, Tamil shows the English label and the rest in Tamil.
    const log = recorder();
    const partial = parseWorkflow(
      {
        ...withTranslations(english, {
          hi: {
            ...hindi,
            questions: {
              ...hindi.questions,
              2: { ...hindi.questions[2]!, options: { ...hindi.questions[2]!.options, pharmacy: 'फ़ार्मेसी' } },
            },
          },
          ta: tamil,
        }),
        locales: { default: 'en', available: ['en', 'hi', 'ta'], partial: ['ta'] },
      },
      'wf',
      log,
    );
    expect(log.warnings.map((w) => w.data)).toEqual([
      { path: 'questions.0.options.4.label', locale: 'ta', fallback: 'en' },
    ]);
    const options = workflowIn(partial, 'ta').questions[0]!.options;
    expect(options.map((o) => o.label).slice(3)).toEqual(['மற்றவை', 'Pharmacy']);
    expect(workflowIn(partial, 'hi').questions[0]!.options[4]!.label).toBe('फ़ार्मेसी');
  });
});

describe('examples/bilingual-workflow.json', () => {
  it('loads, its partial Tamil warned text by text and shown in English where it has none', () => {
    const log = recorder();
    const example = loadWorkflow('examples/bilingual-workflow.json', log);
    expect(example.locales).toEqual({ default: 'en', available: ['en', 'hi', 'ta'], partial: ['ta'] });
    expect(log.warnings.map((w) => w.data.path)).toEqual([
      'greeting.aboutText',
      'greeting.declineText',
      'greeting.options.1.label',
      'questions.1.text',
      'cta.text',
      'messages.invalidOption',
    ]);
    expect(renderPrompt(example, { step: 'questions', questionId: 3 }, {}, 'ta-IN')).toMatchObject({
      text: 'Your monthly sales?',
      options: [
        { id: 'under_2l', label: '₹2 லட்சத்துக்குக் குறைவு' },
        { id: 'over_2l', label: '₹2L+' },
      ],
    });
    expect(renderPrompt(example, { step: 'cta' }, {}, 'hi').options).toEqual([
      { id: 'talk_to_sales', label: 'मुझे कॉल करें' },
    ]);
  });
});
