import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import { AppError } from '../errors.js';

export interface ContactInput {
  name?: string;
  email?: string;
  phone?: string;
}

export interface Contact {
  name?: string;
  email?: string;
  /** E.164, e.g. +919876543210. */
  phone?: string;
}

const email = z.email();

/** An e-mail address as stored (lower case), or null when it is not one. */
export function normalizeEmail(input: string): string | null {
  const mail = input.trim();
  return mail.length > 320 || !email.safeParse(mail).success ? null : mail.toLowerCase();
}

/** A phone number in E.164 (e.g. +919876543210), read for `defaultRegion` without a country code; null when it is not one. */
export function normalizePhone(input: string, defaultRegion: string): string | null {
  const parsed = parsePhoneNumberFromString(input.trim(), defaultRegion as CountryCode);
  return parsed?.isValid() ? parsed.number : null;
}

/**
 * Checks and normalises contact details: e-mail as an address, phone parsed for the default region.
 * Throws `validation_failed` naming every bad field.
 */
export function normalizeContact(input: ContactInput, defaultRegion: string): Contact {
  const problems: { field: string; message: string }[] = [];
  const out: Contact = {};
  const name = input.name?.trim();
  if (name) {
    if (name.length > 200) problems.push({ field: 'name', message: 'at most 200 characters' });
    else out.name = name;
  }
  const mail = input.email?.trim();
  if (mail) {
    const normal = normalizeEmail(mail);
    if (normal === null) problems.push({ field: 'email', message: 'not a valid e-mail address' });
    else out.email = normal;
  }
  const phone = input.phone?.trim();
  if (phone) {
    const normal = normalizePhone(phone, defaultRegion);
    if (normal === null) problems.push({ field: 'phone', message: 'not a valid phone number' });
    else out.phone = normal;
  }
  if (problems.length > 0) {
    throw new AppError('validation_failed', problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
      fields: problems,
    });
  }
  return out;
}
