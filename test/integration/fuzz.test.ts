import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VisitorAck } from '../../src/protocol/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { unchecked, visitor } from '../support/sockets.js';

/**
 * Fuzzing the two doors: no input produces a 500, an unanswered request, a malformed answer, or a
 * crash. Every response is either a success or the one error shape.
 */
const textOf = (v: unknown): string => {
  try {
    return String(v);
  } catch {
    return '{"broken":';
  }
};

describe('fuzzing the REST and socket handlers', () => {
  let t: TestApp;
  let sessionId: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    t = await startTestApp({
      RATE_LIMIT_PER_MINUTE: '1000000',
      SOCKET_EVENTS_PER_SECOND: '10000',
      SOCKET_EVENT_BURST: '10000',
    });
    sessionId = (await t.app.engine.startSession()).sessionId;
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await t?.close();
  });

  // Values that look like what the API takes, mixed with anything at all.
  const field = () =>
    fc.oneof(
      fc.constantFrom(
        'yes',
        'Yes, go ahead',
        'Other',
        'billing',
        'talk_to_sales',
        'clicked_demo',
        'quick_reply',
        '',
      ),
      fc.string({ maxLength: 40 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
      fc.string({ maxLength: 20, unit: 'grapheme' }),
    );
  const body = () =>
    fc.oneof(
      fc.record(
        {
          session_id: fc.oneof(fc.constant('SESSION'), fc.string({ maxLength: 40 })),
          question_id: fc.oneof(fc.integer({ min: -2, max: 9 }), field()),
          answer_text: field(),
          time_taken: field(),
          action: field(),
          metadata: fc.oneof(fc.record({ target_id: field() }), field()),
          profile_data: fc.oneof(
            fc.dictionary(fc.constantFrom('name', 'email', 'phone', 'location', 'x'), field()),
            field(),
          ),
          utm_source: field(),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    );

  it('REST: every response is a success or the error shape, never a 5xx', async () => {
    const paths = ['/api/session/start', '/api/answer', '/api/behavior', '/api/lead/profile'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), body(), fc.boolean(), async (path, raw, asText) => {
        const replaced = JSON.parse(
          JSON.stringify(raw ?? null)?.replaceAll('"SESSION"', `"${sessionId}"`) ?? 'null',
        );
        const res = await fetch(`${t.app.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // Sometimes not JSON at all: the value's text form (or a broken fragment when it has none).
          body: asText ? textOf(raw) : JSON.stringify(replaced),
        });
        const text = await res.text();
        expect(res.status, `${path} ${text}`).toBeLessThan(500);
        const json = JSON.parse(text) as { error?: { code: string; message: string } };
        if (res.status >= 400) expect(typeof json.error?.code, text).toBe('string');
      }),
      { numRuns: 250 },
    );
    expect((await fetch(`${t.app.url}/health`)).status).toBe(200);
  });

  it('socket: every acknowledgement is { ok: true, … } or { ok: false, error }, and the server stays up', async () => {
    const { socket } = await visitor(t.app.url, { auth: { sessionId }, reconnection: true });
    const events = [
      'visitor:reply',
      'visitor:contact',
      'visitor:action',
      'visitor:typing',
      'agent:message',
      'nonsense',
    ];
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...events),
          fc.oneof(
            fc.record(
              {
                clientMessageId: fc.string({ maxLength: 12 }),
                text: field(),
                optionIds: field(),
                action: field(),
                targetId: field(),
                email: field(),
                phone: field(),
                skip: field(),
              },
              { requiredKeys: [] },
            ),
            fc.anything(),
          ),
          async (event, payload) => {
            // Any event with any payload: the untyped view on purpose.
            if (event === 'visitor:typing' || event === 'agent:message' || event === 'nonsense') {
              unchecked(socket).emit(event, payload);
              return;
            }
            const ack: VisitorAck = await unchecked(socket).timeout(5000).emitWithAck(event, payload);
            expect(typeof ack.ok).toBe('boolean');
            if (!ack.ok) {
              expect(typeof ack.error?.code).toBe('string');
              expect(ack.error?.code).not.toBe('internal');
            }
          },
        ),
        { numRuns: 250 },
      );
      expect(socket.connected).toBe(true);
    } finally {
      socket.close();
    }
    expect(unhandled).toEqual([]);
  });
});
