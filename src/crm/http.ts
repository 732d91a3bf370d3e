import { DeliveryError, fetchWithTimeout, retryAfterMs } from '../notifications/delivery.js';

/** What a CRM call sends. */
export interface CrmRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface CrmResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** The longest piece of a service's error message kept in the outbox. */
const MAX_ERROR = 500;

/** Replaces every secret in a text (an error message that echoes a request) with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

/**
 * One JSON call to a CRM with a timeout. 2xx answers its body; 429 and 5xx, timeouts and connection
 * errors are worth retrying (a 429 waits as `waitOf` says); any other 4xx is permanent, with the
 * service's own message (`messageOf`) in the error, so a dead letter says what the CRM objected to.
 * Redirects are not followed (see postJson). Secrets never reach the error text.
 */
export async function callJson<T>(
  req: CrmRequest,
  options: {
    service: string;
    timeoutMs: number;
    secrets: readonly string[];
    messageOf?: (body: unknown) => string | undefined;
    waitOf?: (headers: Headers) => number | undefined;
    /** Statuses answered like a 2xx (a 404 the caller handles: the record is gone). */
    accept?: readonly number[];
    /** Sees every answer's headers (rate-limit headers). */
    onHeaders?: (headers: Headers) => void;
  },
): Promise<CrmResponse<T>> {
  const { service, timeoutMs, secrets } = options;
  const fail = (message: string, retryable: boolean, wait?: number) =>
    new DeliveryError(redact(message, secrets).slice(0, MAX_ERROR), retryable, wait);
  const res = await fetchWithTimeout(
    req.url,
    {
      method: req.method,
      headers: {
        accept: 'application/json',
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...req.headers,
      },
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
    },
    timeoutMs,
  ).catch((err: DeliveryError) => {
    throw fail(`${service}: ${err.message}`, true);
  });
  options.onHeaders?.(res.headers);
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw fail(`${service}: the answer broke off: ${(err as Error).message}`, true);
  }
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.ok || options.accept?.includes(res.status)) {
    if (body === undefined && text)
      throw fail(`${service}: HTTP ${res.status} with a body that is not JSON`, true);
    return { status: res.status, headers: res.headers, body: body as T };
  }
  const said = (options.messageOf?.(body) ?? text.slice(0, 200)).trim();
  const what = `${service}: HTTP ${res.status}${said ? `: ${said}` : ''}`;
  if (res.status >= 300 && res.status < 400)
    throw fail(
      `${service}: HTTP ${res.status} redirect not followed: configure the final URL`,
      res.status !== 301 && res.status !== 308,
    );
  if (res.status === 429)
    throw fail(what, true, retryAfterMs(res.headers.get('retry-after')) ?? options.waitOf?.(res.headers));
  throw fail(what, res.status >= 500);
}
