import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { PromptMessage } from '../../src/conversation/transition.js';
import { commandOf } from '../../src/whatsapp/inbound.js';
import { promptMessage } from '../../src/whatsapp/messages.js';

const prompt = (options: number, label = (i: number) => `Option ${i}`): PromptMessage => ({
  step: 'business_type',
  questionId: 2,
  text: 'What kind of business do you run?',
  input: 'choice',
  options: Array.from({ length: options }, (_, i) => ({ id: `o${i}`, label: label(i) })),
  seq: 3,
  id: 'sess_x:3',
});

describe('prompts as Cloud API messages', () => {
  it('puts up to 3 options as reply buttons, titles cut to 20 characters, ids the option ids', () => {
    const m = promptMessage(
      '919800000001',
      prompt(3, (i) => `A rather long option label number ${i}`),
    );
    expect(m.kind).toBe('buttons');
    const buttons = (
      m.payload as { interactive: { action: { buttons: { reply: { id: string; title: string } }[] } } }
    ).interactive.action.buttons;
    expect(buttons.map((b) => b.reply.id)).toEqual(['o0', 'o1', 'o2']);
    expect(buttons.every((b) => [...b.reply.title].length <= 20)).toBe(true);
    expect(buttons[0]!.reply.title).toBe('A rather long optio…');
  });

  it('puts 4 to 10 options as a list, rows cut to 24 characters with the whole label as description', () => {
    const m = promptMessage(
      '919800000001',
      prompt(10, (i) => `रेस्टोरेंट / कैफ़े और बहुत कुछ ${i}`),
    );
    expect(m.kind).toBe('list');
    const rows = (
      m.payload as {
        interactive: {
          action: { sections: { rows: { id: string; title: string; description?: string }[] }[] };
        };
      }
    ).interactive.action.sections[0]!.rows;
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => [...r.title].length <= 24 && [...(r.description ?? '')].length <= 72)).toBe(
      true,
    );
    expect(rows[0]!.description).toBe('रेस्टोरेंट / कैफ़े और बहुत कुछ 0');
  });

  it('writes more than 10 options out as text', () => {
    const m = promptMessage('919800000001', prompt(11));
    expect(m).toMatchObject({ kind: 'text', payload: { type: 'text' } });
    expect((m.payload as { text: { body: string } }).text.body).toContain('• Option 10');
  });
});

describe('WhatsApp messages as visitor commands', () => {
  const contact = { input: 'contact', step: 'contact' } as const;
  it('reads a tapped button or list row as the option id, and Skip at the contact step as a skip', () => {
    const tap = {
      type: 'interactive',
      interactive: { type: 'list_reply', list_reply: { id: 'o2', title: 'x' } },
    };
    expect(commandOf(tap, { input: 'choice', step: 'q' }, '+919800000001')).toEqual({
      kind: 'reply',
      optionIds: ['o2'],
    });
    const skip = { type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'skip' } } };
    expect(commandOf(skip, contact, '+919800000001')).toEqual({ kind: 'contact', skip: true });
  });

  it('reads the name and e-mail of a contact reply in either order, with the WhatsApp number', () => {
    const text = (body: string) => ({ type: 'text', text: { body } });
    expect(commandOf(text('ravi@example.com; Ravi Kumar'), contact, '+919800000001')).toEqual({
      kind: 'contact',
      phone: '+919800000001',
      name: 'Ravi Kumar',
      email: 'ravi@example.com',
    });
    expect(commandOf(text('Ravi'), contact, '+919800000001')).toEqual({
      kind: 'contact',
      phone: '+919800000001',
      name: 'Ravi',
    });
    expect(commandOf({ type: 'image', image: { id: '1' } }, contact, '+919800000001')).toBeNull();
  });
});

describe('WhatsApp configuration', () => {
  it('is off by default, and names the missing variables when only some are set', () => {
    expect(loadConfig({}).whatsapp).toBeNull();
    expect(() => loadConfig({ WHATSAPP_VERIFY_TOKEN: 'verify-token-1' })).toThrow(
      /WHATSAPP_APP_SECRET, WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID|WHATSAPP_VERIFY_TOKEN, WHATSAPP_APP_SECRET/,
    );
    const on = loadConfig({
      WHATSAPP_VERIFY_TOKEN: 'verify-token-1',
      WHATSAPP_APP_SECRET: 'app-secret-1',
      WHATSAPP_ACCESS_TOKEN: 'access-token-1',
      WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
    }).whatsapp;
    expect(on?.graphUrl).toBe('https://graph.facebook.com/v23.0');
  });
});
