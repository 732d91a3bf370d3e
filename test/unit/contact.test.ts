import { describe, expect, it } from 'vitest';
import { normalizeContact } from '../../src/conversation/contact.js';
import { AppError } from '../../src/errors.js';

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe('validation_failed');
    const { fields } = e.details as { fields: { field: string; message: string }[] };
    for (const f of fields) expect(e.message).toContain(`${f.field}: `);
    return fields.map((f) => f.field);
  }
  throw new Error('expected normalizeContact to throw');
}

describe('normalizeContact', () => {
  it('turns an Indian mobile written without a country code into E.164', () => {
    expect(normalizeContact({ phone: '98765 43210' }, 'IN')).toEqual({ phone: '+919876543210' });
    expect(normalizeContact({ phone: '098765-43210' }, 'IN')).toEqual({ phone: '+919876543210' });
    expect(normalizeContact({ phone: '+91 98765 43210' }, 'IN')).toEqual({ phone: '+919876543210' });
  });

  it('parses an international number whatever the default region', () => {
    expect(normalizeContact({ phone: '+1 415 555 2671' }, 'IN')).toEqual({ phone: '+14155552671' });
    expect(normalizeContact({ phone: '(415) 555-2671' }, 'US')).toEqual({ phone: '+14155552671' });
  });

  it.each(['12345', 'abc', '+91 12345', '98765'])('rejects the phone %j naming phone', (phone) => {
    expect(fieldsOf(() => normalizeContact({ phone }, 'IN'))).toEqual(['phone']);
  });

  it.each(['not-an-email', 'a@', '@b.co', 'a b@c.co'])('rejects the e-mail %j naming email', (email) => {
    expect(fieldsOf(() => normalizeContact({ email }, 'IN'))).toEqual(['email']);
  });

  it('names both fields when both are bad', () => {
    expect(fieldsOf(() => normalizeContact({ email: 'x@', phone: '12345', name: 'Asha' }, 'IN'))).toEqual([
      'email',
      'phone',
    ]);
  });

  it('lower-cases and trims the e-mail, trims the name', () => {
    expect(normalizeContact({ email: '  Asha.K@Example.COM  ', name: '  Asha K ' }, 'IN')).toEqual({
      email: 'asha.k@example.com',
      name: 'Asha K',
    });
  });

  it('treats blank fields as absent', () => {
    expect(normalizeContact({ email: '   ', phone: '', name: ' ' }, 'IN')).toEqual({});
    expect(normalizeContact({}, 'IN')).toEqual({});
  });

  it('rejects a name over 200 characters', () => {
    expect(fieldsOf(() => normalizeContact({ name: 'x'.repeat(201) }, 'IN'))).toEqual(['name']);
    expect(normalizeContact({ name: 'x'.repeat(200) }, 'IN')).toEqual({ name: 'x'.repeat(200) });
  });
});
