import type { ConversationEvent, Step, VisitorAction } from '../../machines/types.js';
import { AppError } from '../errors.js';
import type { Touch } from '../leads/attribution.js';
import { derivedBehaviors, reportableActions as reportable } from '../scoring/behaviors.js';
import type { PageFact } from '../scoring/ledger.js';
import { resolveAnswer, resolveOptions } from '../workflow/answers.js';
import type { CustomFieldValues } from '../workflow/fields.js';
import { switchLocale } from '../workflow/locale-switch.js';
import { pageRulesFor } from '../workflow/pages.js';
import type { Workflow } from '../workflow/schema.js';
import { ctaOptionsFor, presentationOf } from '../workflow/variants.js';
import { type Contact, normalizeContact } from './contact.js';

/** Profile fields a client may set directly (the seed's `profile_data`). */
export interface ProfileInput {
  name?: string;
  email?: string;
  phone?: string;
  business_type?: string;
  location?: string;
  staff_size?: string;
  monthly_sales?: string;
  features_interested?: string[];
}

/** What a visitor can do, whichever door it came through. */
export type VisitorCommand =
  | { kind: 'reply'; text?: string; optionIds?: string[] }
  | { kind: 'answer'; questionId: number; text: string; timeTaken?: number }
  | { kind: 'contact'; name?: string; email?: string; phone?: string; skip?: boolean }
  | { kind: 'profile'; profile: ProfileInput }
  | {
      kind: 'action';
      action: VisitorAction;
      targetId?: string;
      /** What the client attached, stored with the event as it came; it never changes points. */
      metadata?: Record<string, unknown>;
    }
  /** Pass over an optional question (by default the one the bot waits on); `reason` is only stored. */
  | { kind: 'skip'; questionId?: number; reason?: string }
  /** The visitor views a page (the widget on load and on every navigation, or /api/tracking/page-entry). */
  | { kind: 'page'; url: string; title?: string; pageType?: string; metadata?: Record<string, unknown> }
  /** The visitor leaves the page viewed at `entrySeq` (its time on page is measured from the two events). */
  | { kind: 'page_exit'; entrySeq: number }
  /** The visitor leaves; what the client says about it is stored with the event for drop-off analytics. */
  | {
      kind: 'exit';
      reason: string;
      questionId?: number;
      page?: string;
      lastAction?: string;
      metadata?: Record<string, unknown>;
    }
  /** A returning visitor arrived again with new attribution: it becomes the lead's last touch. */
  | { kind: 'touch'; touch: Touch }
  /** The visitor switches language: the bot's pending prompt is put again in it. */
  | { kind: 'locale'; locale: string };

/** The lead fields a command sets besides what the machine decides. */
export type ProfilePatch = Partial<{
  name: string;
  email: string;
  phone: string;
  businessType: string;
  location: string;
  staffSize: string;
  monthlySales: string;
  featuresInterested: string[];
  lastTouch: Touch;
  lastTouchAt: Date;
  currentPage: string;
  /** The lead's custom fields, whole (an answer to a question with `field` sets one of them). */
  customFields: CustomFieldValues;
  locale: string;
}>;

export interface Interpreted {
  events: ConversationEvent[];
  patch: ProfilePatch;
  /** What the log records about the input beside the command itself. */
  note?: Record<string, unknown>;
  /** Scored facts that are no machine event (a page view that meets a page rule). */
  facts?: PageFact[];
  /** Put the prompt the bot waits on again (in the session's language, which may just have changed). */
  repeatPrompt?: true;
}

/** Whether an ended conversation still takes the command: profile updates, a new touch, page views and
 * exits (recorded). */
export function takesClosed(command: VisitorCommand): boolean {
  return ['profile', 'exit', 'touch', 'page', 'page_exit', 'locale'].includes(command.kind);
}

/** The question the bot waits on at `step` (the greeting, the one asked, the contact form), or null. */
function pendingQuestion(workflow: Workflow, step: Step, question: number | null): number | null {
  if (step === 'greeting') return workflow.greeting.questionId;
  if (step === 'questions') return question;
  if (step === 'contact') return workflow.contact.questionId;
  return null;
}

/**
 * Turns a visitor command into machine events, resolving labels to option ids and checking contact
 * details. `step` is where the conversation waits. Throws an AppError for input that cannot be meant.
 */
export function interpret(
  workflow: Workflow,
  command: VisitorCommand,
  where: { step: Step; question: number | null; variants?: Record<string, string> },
  at: number,
  phoneRegion: string,
): Interpreted {
  const { step } = where;
  switch (command.kind) {
    case 'reply':
      if (step === 'questions' && where.question !== null) {
        return interpretAnswer(workflow, where.question, command, at, phoneRegion);
      }
      return interpretReply(workflow, command, step, at, where.variants ?? {});
    case 'answer':
      return interpretAnswer(workflow, command.questionId, { text: command.text }, at, phoneRegion);
    case 'contact': {
      if (command.skip === true && step !== 'contact') {
        throw new AppError('invalid_state', `Nothing to skip: the conversation is at ${step}.`);
      }
      const contact = normalizeContact(command, phoneRegion);
      return { events: contactEvents(contact, step, at, command.skip === true), patch: contact };
    }
    case 'profile':
      return interpretProfile(command.profile, step, at, phoneRegion);
    case 'skip':
      return interpretSkip(
        workflow,
        command.questionId ?? pendingQuestion(workflow, step, where.question),
        step,
        at,
      );
    case 'exit':
      // Where the conversation stood when the visitor left, as the server knows it (drop-off analytics);
      // the question the client names is stored with the command, as reported.
      return {
        events: [{ type: 'visitor.exit', at }],
        patch: {},
        note: { exit: { step, questionId: pendingQuestion(workflow, step, where.question) } },
      };
    case 'touch':
      // Only stored: where a visitor came from changes no score and moves no conversation.
      return { events: [], patch: { lastTouch: command.touch, lastTouchAt: new Date(at) } };
    case 'page': {
      // Not a behaviour of the conversation: only a page rule of the workflow makes it worth points.
      const facts = pageRulesFor(workflow, command.url).map(
        (rule): PageFact => ({
          behavior: 'page_rule',
          rule: rule.behavior,
          points: rule.points,
          url: command.url,
        }),
      );
      return { events: [], patch: { currentPage: command.url }, ...(facts.length > 0 ? { facts } : {}) };
    }
    case 'page_exit':
      return { events: [], patch: {} };
    case 'locale':
      return switchLocale(workflow, command.locale);
    case 'action': {
      if (command.action === 'clicked_demo' || command.action === 'clicked_pricing') {
        if (command.targetId !== undefined) {
          throw new AppError('validation_failed', `${command.action} takes no target.`, {
            field: 'targetId',
          });
        }
      } else if (command.targetId !== undefined) {
        const known =
          command.action === 'clicked_product'
            ? workflow.products.map((p) => ({ id: p.id, label: p.title }))
            : workflow.cta.options.map((c) => ({ id: c.id, label: c.title }));
        resolveOptions(known, { optionIds: [command.targetId] }, false);
      }
      // Clicking a CTA while the bot offers the CTAs is choosing it (the REST door has no other way).
      if (command.action === 'cta_clicked' && command.targetId !== undefined && step === 'cta') {
        return { events: [{ type: 'visitor.cta', at, ctaId: command.targetId }], patch: {} };
      }
      const event: ConversationEvent = { type: 'visitor.action', at, action: command.action };
      if (command.targetId !== undefined) event.targetId = command.targetId;
      return { events: [event], patch: {} };
    }
  }
}

function interpretReply(
  workflow: Workflow,
  command: { text?: string; optionIds?: string[] },
  step: Step,
  at: number,
  variants: Record<string, string>,
): Interpreted {
  switch (step) {
    case 'greeting': {
      const [optionId] = resolveOptions(workflow.greeting.options, command, false);
      return { events: [{ type: 'visitor.greeting', at, optionId: optionId! }], patch: {} };
    }
    case 'cta': {
      // The labels this session was shown (an experiment may rename them); the usual titles work too.
      const shown = ctaOptionsFor(workflow, presentationOf(workflow, variants));
      const titles = workflow.cta.options.map((c) => ({ id: c.id, label: c.title }));
      const extra = titles.filter((t) => !shown.some((o) => o.label === t.label));
      const [ctaId] = resolveOptions([...shown, ...extra], command, false);
      return { events: [{ type: 'visitor.cta', at, ctaId: ctaId! }], patch: {} };
    }
    case 'contact':
      throw new AppError(
        'invalid_state',
        'The conversation is waiting for contact details (visitor:contact).',
      );
    default:
      throw new AppError('invalid_state', `The conversation is not waiting for a reply (it is at ${step}).`);
  }
}

/** An answer to a question addressed by id: the greeting (REST question 1) or a profile question. */
function interpretAnswer(
  workflow: Workflow,
  questionId: number,
  raw: { text?: string; optionIds?: string[] },
  at: number,
  phoneRegion: string,
): Interpreted {
  if (questionId === workflow.greeting.questionId) {
    const [optionId] = resolveOptions(workflow.greeting.options, raw, false);
    return { events: [{ type: 'visitor.greeting', at, optionId: optionId! }], patch: {} };
  }
  const question = workflow.questions.find((q) => q.id === questionId);
  if (!question) {
    const hint =
      questionId === workflow.contact.questionId
        ? ' Contact details go to /api/lead/profile or visitor:contact.'
        : '';
    throw new AppError('unknown_question', `Question ${questionId} cannot be answered here.${hint}`, {
      questionIds: [workflow.greeting.questionId, ...workflow.questions.map((q) => q.id)],
    });
  }
  const answer = resolveAnswer(question, raw, phoneRegion);
  return { events: [{ type: 'visitor.answer', at, questionId, ...answer }], patch: {} };
}

/** Skipping a question: optional ones only (the contact form is), and only where the machine allows it. */
function interpretSkip(workflow: Workflow, questionId: number | null, step: Step, at: number): Interpreted {
  if (questionId === null)
    throw new AppError('invalid_state', `Nothing to skip: the conversation is at ${step}.`);
  const skip: Interpreted = { events: [{ type: 'visitor.skip', at, questionId }], patch: {} };
  if (questionId === workflow.contact.questionId) return skip;
  const question = workflow.questions.find((q) => q.id === questionId);
  if (questionId === workflow.greeting.questionId || question?.required) {
    throw new AppError(
      'required_question',
      `Question ${questionId} must be answered; it cannot be skipped.`,
      {
        questionId,
      },
    );
  }
  if (!question) {
    throw new AppError('unknown_question', `There is no question ${questionId} to skip.`, {
      questionIds: [
        workflow.greeting.questionId,
        ...workflow.questions.map((q) => q.id),
        workflow.contact.questionId,
      ],
    });
  }
  return skip;
}

function contactEvents(contact: Contact, step: Step, at: number, skip: boolean): ConversationEvent[] {
  const hasEmail = contact.email !== undefined;
  const hasPhone = contact.phone !== undefined;
  // Outside the contact step only a usable e-mail or phone is an event; a bare name is just stored.
  if (step !== 'contact' && !hasEmail && !hasPhone) return [];
  return [{ type: 'visitor.contact', at, hasEmail, hasPhone, skip }];
}

function interpretProfile(profile: ProfileInput, step: Step, at: number, phoneRegion: string): Interpreted {
  const contact = normalizeContact(profile, phoneRegion);
  const patch: ProfilePatch = { ...contact };
  const text = (v: string | undefined, field: string, max: number) => {
    if (v === undefined) return undefined;
    const t = v.trim();
    if (t.length === 0 || t.length > max) {
      throw new AppError('validation_failed', `${field}: between 1 and ${max} characters`, { field });
    }
    return t;
  };
  const set = <K extends keyof ProfilePatch>(key: K, value: ProfilePatch[K] | undefined) => {
    if (value !== undefined) patch[key] = value;
  };
  set('businessType', text(profile.business_type, 'business_type', 200));
  set('location', text(profile.location, 'location', 2000));
  set('staffSize', text(profile.staff_size, 'staff_size', 200));
  set('monthlySales', text(profile.monthly_sales, 'monthly_sales', 200));
  if (profile.features_interested !== undefined) {
    patch.featuresInterested = profile.features_interested.map(
      (f, i) => text(f, `features_interested.${i}`, 200)!,
    );
  }
  const hasContact = contact.email !== undefined || contact.phone !== undefined;
  return { events: hasContact ? contactEvents(contact, step, at, false) : [], patch };
}

const REPORTABLE: readonly VisitorAction[] = reportable;
const DERIVED: readonly string[] = derivedBehaviors;

/**
 * What a client may report (`/api/behavior`) and what each is worth by the scoring table: a product or
 * a CTA named by `target_id` earns its own points instead, and the once-rules apply.
 */
export function reportableActions(workflow: Workflow): { action: VisitorAction; points: number }[] {
  const points: Record<VisitorAction, number> = {
    clicked_product: workflow.scoring.clicked_product.points,
    clicked_demo: workflow.scoring.clicked_demo,
    clicked_pricing: workflow.scoring.clicked_pricing,
    cta_clicked: workflow.scoring.cta_clicked,
  };
  return REPORTABLE.map((action) => ({ action, points: points[action] }));
}

/** A behavior a client reports by name (the seed's `/api/behavior`): only what a click can tell. */
export function reportedAction(action: string): VisitorAction {
  if ((REPORTABLE as readonly string[]).includes(action)) return action as VisitorAction;
  if (DERIVED.includes(action)) {
    throw new AppError('derived_behavior', `${action} is worked out by the server and cannot be reported.`, {
      reportable: REPORTABLE,
    });
  }
  throw new AppError('validation_failed', `Unknown action "${action}".`, {
    field: 'action',
    reportable: REPORTABLE,
  });
}
