import { mkdirSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { AgentTokens } from '../../src/agents/tokens.js';
import type { AppOverrides } from '../../src/app.js';
import { startTestApp, type TestApp } from './app.js';
import { requireProgram } from './requirements.js';

/** Where the browser tests write their screenshots. */
export const SHOTS = 'test-results';

export interface BrowserApp {
  t: TestApp;
  browser: Browser;
  /** An agent's token (Asha), signed with the app's secret. */
  token: string;
}

/**
 * For the suite it is called in: before all, a server on port 0 with `SECRET_KEY` set to `secret` (the
 * app built with `overrides`, a workflow of its own say, and `env` added), an agent's token for it, and
 * Debian's Chromium (never a downloaded browser) launched headless, with
 * the screenshot folder made; after all, both closed. The object's fields are set in the beforeAll.
 */
export function useBrowserApp(
  secret: string,
  overrides: AppOverrides = {},
  env: Record<string, string> = {},
): BrowserApp {
  const app: Partial<BrowserApp> = {};
  beforeAll(async () => {
    requireProgram('/usr/bin/chromium', 'chromium');
    app.t = await startTestApp({ SECRET_KEY: secret, ...env }, overrides);
    app.token = await new AgentTokens(secret).sign({ id: 'asha', name: 'Asha', role: 'agent' });
    app.browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await app.browser?.close();
    await app.t?.close();
  });
  return app as BrowserApp;
}
