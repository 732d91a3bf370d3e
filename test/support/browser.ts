import { mkdirSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { AgentTokens } from '../../src/agents/tokens.js';
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
 * A server on port 0 with `SECRET_KEY` set to `secret`, an agent's token for it, and Debian's
 * Chromium (never a downloaded browser) launched headless; the screenshot folder exists.
 */
export async function startBrowserApp(secret: string): Promise<BrowserApp> {
  requireProgram('/usr/bin/chromium', 'chromium');
  const t = await startTestApp({ SECRET_KEY: secret });
  const token = await new AgentTokens(secret).sign({ id: 'asha', name: 'Asha', role: 'agent' });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(SHOTS, { recursive: true });
  return { t, browser, token };
}

/** Closes what startBrowserApp opened (either may be missing when it failed half-way). */
export async function closeBrowserApp(browser: Browser | undefined, t: TestApp | undefined): Promise<void> {
  await browser?.close();
  await t?.close();
}
