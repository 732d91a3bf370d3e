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

/** How a CRM's failures are told: its name, what to mask, where its message and its wait are. */
export interface FailureOptions {
  service: string;
  secrets: readonly string[];
  messageOf?: (body: unknown) => string | undefined;
  waitOf?: (headers: Headers) => number | undefined;
}

/** A DeliveryError whose text has every secret masked and is at most MAX_ERROR characters. */
export function crmError(
  message: string,
  retryable: boolean,
  secrets: readonly string[],
  wait?: number,
): DeliveryError {
  return new DeliveryError(redact(message, secrets).slice(0, MAX_ERROR), retryable, wait);
}

/**
 * The error for a CRM's answer that is not a 2xx: a redirect is not followed (configure the final URL),
 * 429 and 5xx are worth retrying (a 429 waits as Retry-After, else `waitOf`, says), any other 4xx is
 * permanent, with the service's own message (`messageOf`), so a dead letter says what it objected to.
 */
export function httpFailure(
  res: { status: number; headers: Headers; text: string; body: unknown },
  options: FailureOptions,
): DeliveryError {
  const { service, secrets } = options;
  const said = (options.messageOf?.(res.body) ?? res.text.slice(0, 200)).trim();
  const what = `${service}: HTTP ${res.status}${said ? `: ${said}` : ''}`;
  if (res.status >= 300 && res.status < 400)
    return crmError(
      `${service}: HTTP ${res.status} redirect not followed: configure the final URL`,
      res.status !== 301 && res.status !== 308,
      secrets,
    );
  if (res.status === 429)
    return crmError(
      what,
      true,
      secrets,
      retryAfterMs(res.headers.get('retry-after')) ?? options.waitOf?.(res.headers),
    );
  return crmError(what, res.status >= 500, secrets);
}

/** A JSON text's value; undefined when it is empty or not JSON. */
export function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One JSON call to a CRM with a timeout. 2xx answers its body; 429 and 5xx, timeouts and connection
 * errors are worth retrying (a 429 waits as `waitOf` says); any other 4xx is permanent, with the
 * service's own message (`messageOf`) in the error, so a dead letter says what the CRM objected to.
 * Redirects are not followed (see postJson). Secrets never reach the error text.
 */
export async function callJson<T>(
  req: CrmRequest,
  options: FailureOptions & { timeoutMs: number },
): Promise<CrmResponse<T>> {
  const { service, timeoutMs, secrets } = options;
  const fail = (message: string, retryable: boolean) => crmError(message, retryable, secrets);
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
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw fail(`${service}: the answer broke off: ${(err as Error).message}`, true);
  }
  const body = parseJson(text);
  if (res.ok) {
    if (body === undefined && text)
      throw fail(`${service}: HTTP ${res.status} with a body that is not JSON`, true);
    return { status: res.status, headers: res.headers, body: body as T };
  }
  throw httpFailure({ status: res.status, headers: res.headers, text, body }, options);
}
