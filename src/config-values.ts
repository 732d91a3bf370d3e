import { z } from 'zod';

/** Value parsers and helpers of src/config.ts (which alone reads the environment). */

const DURATION_UNITS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** Seconds in a duration written like `30m`, `12h`, `7d` or a bare number of seconds; NaN otherwise. */
export function durationSeconds(text: string): number {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text);
  if (!m) return Number.NaN;
  return Number(m[1]) * DURATION_UNITS[(m[2] || 's') as keyof typeof DURATION_UNITS];
}
export const duration = (min: number, max: number) =>
  z
    .string()
    .transform((v) => durationSeconds(v))
    .pipe(
      z
        .number({ message: 'a duration like 30m, 12h, 7d or seconds' })
        .min(min, `at least ${min} seconds`)
        .max(max, `at most ${max} seconds`),
    );

/** SMTP_URL from the SMTP_HOST… variables (unset without SMTP_HOST). */
export function smtpUrlOf(e: {
  SMTP_HOST?: string;
  SMTP_PORT?: number;
  SMTP_USER?: string;
  SMTP_PASS?: string;
}) {
  if (!e.SMTP_HOST) return undefined;
  const auth = e.SMTP_USER
    ? `${encodeURIComponent(e.SMTP_USER)}:${encodeURIComponent(e.SMTP_PASS ?? '')}@`
    : '';
  return `smtp://${auth}${e.SMTP_HOST}:${e.SMTP_PORT ?? 587}`;
}

/** The config as handed out: frozen all the way down. */
export function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const v of Object.values(value)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(value);
}
