import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { reportableActions } from '../conversation/commands.js';
import { nextStep } from '../conversation/next-step.js';
import { promptedQuestion } from '../leads/views.js';
import { workflowIn } from '../workflow/locales.js';
import { errorResponses, responses } from './responses.js';
import type { RestDeps } from './rest.js';
import { answerCommand, gained, visitorCalls } from './visitor-calls.js';

const err = errorResponses(400, 404, 409, 422);

/** A field the later version's clients may send as null: left out. */
const given = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/**
 * The calls the earlier service's later (FastAPI) version added, served by the same engine with the
 * same validation and error codes as the rest of the visitor API. Their bodies ignore fields they do
 * not know, as that version's did.
 */
export function registerRestV2Routes(server: FastifyInstance, { engine, schemas, metrics }: RestDeps): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const tags = ['visitor'];
  const { run, answerReply } = visitorCalls({ engine, schemas, metrics });

  app.post(
    '/api/next-question',
    {
      schema: {
        tags,
        summary:
          'The question the bot waits on (the greeting, the next profile question, the contact form), or null: after the questions, once ended, or while an agent holds the conversation',
        body: schemas.nextQuestionBody,
        response: { 200: responses.nextQuestion, ...err },
      },
    },
    async (req) => {
      const view = await metrics.track('rest', 'next_question', () => engine.view(req.body.session_id));
      return promptedQuestion(workflowIn(view.workflow, view.prompt?.locale), view.prompt);
    },
  );

  app.post(
    '/api/skip-question',
    {
      schema: {
        tags,
        summary:
          'Skip an optional question (by default the one the bot waits on) for question_skipped; a required one is 409 required_question',
        body: schemas.skipQuestionBody,
        response: { 200: responses.skip, ...err },
      },
    },
    async (req) => {
      const { session_id, question_id, skip_reason } = req.body;
      const r = await run(req, 'skip', session_id, {
        kind: 'skip',
        ...(given(question_id) ? { questionId: question_id } : {}),
        ...(given(skip_reason) ? { reason: skip_reason } : {}),
      });
      return {
        message: r.duplicate ? 'Question already skipped' : 'Question skipped',
        score_change: gained(r),
        lead_score: r.score,
        lead_type: r.classification,
        next_question: r.prompts.findLast((p) => p.input !== 'none') ?? null,
      };
    },
  );

  app.post(
    '/api/answer-with-conditional',
    {
      schema: {
        tags,
        summary:
          'The answer call, and what the conversation does next: info_response (something to read, then the next question), thank_you_response (it ended) or continue_flow',
        body: schemas.answerWithConditionalBody,
        response: { 200: responses.answerWithConditional, ...err },
      },
    },
    async (req) => {
      const r = await run(req, 'answer', req.body.session_id, answerCommand(req.body));
      const next = nextStep(r);
      const conditional_response =
        next.kind === 'end'
          ? {
              type: 'thank_you_response' as const,
              content: next.text,
              next_question: null,
              session_ended: true,
            }
          : next.kind === 'info'
            ? {
                type: 'info_response' as const,
                content: next.text,
                next_question: next.next,
                session_ended: false,
              }
            : { type: 'continue_flow' as const, next_question: next.next, session_ended: false };
      return { ...answerReply(r), conditional_response };
    },
  );

  app.get(
    '/api/behavior/actions',
    {
      schema: {
        tags,
        summary:
          'The actions a client may report to /api/behavior, with their points (a product or CTA named by target_id earns its own)',
        response: { 200: responses.behaviorActions },
      },
    },
    async () => {
      // Not about one session: the active workflow's points.
      const actions = reportableActions(engine.workflow);
      return {
        actions: actions.map((a) => a.action),
        points: Object.fromEntries(actions.map((a) => [a.action, a.points])),
      };
    },
  );

  app.post(
    '/api/session/exit',
    {
      schema: {
        tags,
        summary:
          'The visitor leaves: the exit is recorded with where the conversation stood, and before the questions are done it costs early_dropout (once)',
        body: schemas.sessionExitBody,
        response: { 200: responses.sessionExit, ...err },
      },
    },
    async (req) => {
      const { session_id, exit_reason, exit_question_id, exit_page, last_action, metadata } = req.body;
      const r = await run(req, 'exit', session_id, {
        kind: 'exit',
        reason: exit_reason,
        ...(given(exit_question_id) ? { questionId: exit_question_id } : {}),
        ...(given(exit_page) ? { page: exit_page } : {}),
        ...(given(last_action) ? { lastAction: last_action } : {}),
        ...(given(metadata) ? { metadata } : {}),
      });
      return {
        message: r.duplicate ? 'Exit already recorded' : 'Exit recorded',
        exit_id: `${session_id}:${r.seq}`,
        score_change: gained(r),
        lead_score: r.score,
        lead_type: r.classification,
      };
    },
  );
}
