/** Helpers of src/config.ts that read nothing themselves: they shape values it has parsed. */

/** SMTP_URL from the SMTP_HOST… variables, when SMTP_HOST is set. */
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

/** Freezes a parsed configuration and everything in it. */
export function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const v of Object.values(value)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(value);
}
