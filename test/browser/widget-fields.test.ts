import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../src/workflow/load.js';
import { useBrowserApp } from '../support/browser.js';
import { CUSTOM_QUESTIONS, customFieldsWorkflowInput } from '../support/custom-fields.js';

const SECRET = 'widget-fields-secret-0123456789';

/** The custom questions a visitor types an answer to (number, number, e-mail, phone, date), alone. */
const workflow = parseWorkflow({
  ...customFieldsWorkflowInput,
  questions: CUSTOM_QUESTIONS.filter((q) => q.id >= 8 && q.id <= 12),
});

/**
 * The widget offers a field of each typed question's kind (a number field, an e-mail field, a phone
 * field, a date picker), shows a refusal in words that name what was expected and offers the field
 * again; what the visitor typed is stored typed.
 */
describe('typed questions in the widget, in Chromium', () => {
  const app = useBrowserApp(SECRET, { workflow });

  const field = (page: Page) => page.locator('.lcb-input input.lcb-field');
  async function answer(page: Page, type: string, value: string) {
    await expect.poll(() => field(page).getAttribute('type')).toBe(type);
    await field(page).fill(value);
    await page.keyboard.press('Enter');
  }

  it('offers number, email, tel and date inputs, and a refusal keeps the question open', async () => {
    const page = await app.browser.newPage();
    page.setDefaultTimeout(5_000);
    await page.goto(app.t.app.url);
    await page.click('.lcb-bubble');
    await page.locator('.lcb-input button', { hasText: 'Yes, go ahead' }).click();

    await expect.poll(() => field(page).getAttribute('type')).toBe('number');
    expect(
      await field(page).evaluate((f: HTMLInputElement) => [
        f.min,
        f.max,
        f.step,
        f.getAttribute('inputmode'),
      ]),
    ).toEqual(['1', '500', '1', 'decimal']);
    await answer(page, 'number', '2.5');
    // The server's reason, under the field, which is offered again with what was typed.
    await page
      .locator('.lcb-input .lcb-error', {
        hasText: 'table_count: a whole number from 1 to 500 was expected.',
      })
      .waitFor();
    expect(await field(page).getAttribute('aria-invalid')).toBe('true');
    expect(await field(page).inputValue()).toBe('2.5');
    await answer(page, 'number', '24');
    await answer(page, 'number', '1250.5');
    await answer(page, 'email', 'Owner@Example.com');
    await answer(page, 'tel', '98765 43210');
    await expect.poll(() => field(page).getAttribute('type')).toBe('date');
    expect(await field(page).evaluate((f: HTMLInputElement) => [f.min, f.max])).toEqual([
      '1950-01-01',
      '2030-12-31',
    ]);
    await answer(page, 'date', '2019-02-28');
    // The contact form comes next: every typed question was taken.
    await page.locator('.lcb-input input[name=email]').waitFor();

    const sessionId = await page.evaluate(
      () => Object.entries(localStorage).find(([k]) => k.startsWith('lcb-session:'))?.[1],
    );
    const [row] = await app.t.db.query<{ custom_fields: unknown }>(
      'select custom_fields from leads where id = $1',
      [sessionId],
    );
    expect(row!.custom_fields).toEqual({
      table_count: 24,
      average_bill: 1250.5,
      owner_email: 'owner@example.com',
      owner_phone: '+919876543210',
      opened_on: '2019-02-28',
    });
    await page.close();
  });
});
