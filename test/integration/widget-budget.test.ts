import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { serverFor } from '../support/app.js';

/** The most the widget may weigh on the wire, gzipped: it loads on every page of a customer's site. */
const BUDGET_BYTES = 20 * 1024;

/**
 * `/widget.js` as the server serves it: a small loader at a stable URL, cached briefly, that loads the
 * bundle named for its content hash, cached for good; together within the budget gzipped, and free of
 * the code a strict Content-Security-Policy forbids without 'unsafe-eval' (eval, new Function, string
 * timers).
 */
describe('the widget bundle', () => {
  const server = serverFor();

  it('is at most 20 KB gzipped with its loader, cached by content hash, and needs no eval', async () => {
    const loader = await fetch(`${server.url}/widget.js`);
    expect(loader.status).toBe(200);
    expect(loader.headers.get('cache-control')).toBe('public, max-age=300');
    const loaderCode = await loader.text();
    const name = /widget\.[A-Z0-9]{8}\.js/.exec(loaderCode)?.[0];
    expect(name, loaderCode).toBeDefined();

    const bundle = await fetch(`${server.url}/${name}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(bundle.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = Buffer.from(await bundle.arrayBuffer());
    const gzipped = gzipSync(body, { level: 9 }).length + gzipSync(loaderCode, { level: 9 }).length;
    expect(gzipped, `the widget is ${gzipped} bytes gzipped`).toBeLessThanOrEqual(BUDGET_BYTES);
    for (const code of [loaderCode, body.toString('utf8')])
      expect(code).not.toMatch(/\beval\s*\(|new Function\s*\(|setTimeout\(\s*["'`]|setInterval\(\s*["'`]/);

    // Another name is no file of ours.
    expect((await fetch(`${server.url}/widget.AAAAAAAA.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/widget.x.js`)).status).toBe(404);
  });
});
