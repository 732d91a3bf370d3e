import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { serverFor } from '../support/app.js';

/** The most the widget may weigh on the wire, gzipped: it loads on every page of a customer's site. */
const BUDGET_BYTES = 20 * 1024;

/**
 * `/widget.js` as the server serves it: within its budget gzipped, and free of the code a strict
 * Content-Security-Policy forbids without 'unsafe-eval' (eval, new Function, string timers).
 */
describe('the widget bundle', () => {
  const server = serverFor();

  it('is at most 20 KB gzipped and needs no eval', async () => {
    const r = await fetch(`${server.url}/widget.js`);
    expect(r.status).toBe(200);
    const body = Buffer.from(await r.arrayBuffer());
    const gzipped = gzipSync(body, { level: 9 }).length;
    expect(gzipped, `widget.js is ${gzipped} bytes gzipped`).toBeLessThanOrEqual(BUDGET_BYTES);
    const code = body.toString('utf8');
    expect(code).not.toMatch(/\beval\s*\(|new Function\s*\(|setTimeout\(\s*["'`]|setInterval\(\s*["'`]/);
  });
});
