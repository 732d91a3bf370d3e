/** Why a delivery attempt failed, and whether trying again can help. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
    /** From a 429's Retry-After. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A channel: sends one message or throws a DeliveryError. */
export interface Channel {
  readonly name: string;
  /** The message carries the transcript summary whatever the trigger (CRM records keep the answers). */
  readonly wantsTranscript?: boolean;
  /** The triggers it gets when NOTIFICATION_ROUTES does not name it; unset = the people's defaults. */
  readonly defaultTriggers?: readonly string[];
  send(message: import('./message.js').NotificationMessage): Promise<void>;
}

/** Parses Retry-After (seconds or an HTTP date) into ms. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * One HTTP call with a timeout that does not follow redirects (see postJson). A timeout or a failed
 * connection throws a retryable DeliveryError: `timed out after … ms`, or `connection failed: <cause>`
 * — `unreachable` instead, where the cause is not to be shown.
 */
export async function fetchWithTimeout(
  url: string,
  init: Omit<RequestInit, 'redirect' | 'signal'>,
  timeoutMs: number,
  unreachable?: string,
): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    throw new DeliveryError(
      timedOut
        ? `timed out after ${timeoutMs} ms`
        : (unreachable ?? `connection failed: ${e.cause ?? e.message}`),
      true,
    );
  }
}

/**
 * POSTs JSON with a timeout. 2xx is delivered; 429 (with Retry-After), 5xx, timeouts and connection
 * errors are worth retrying; any other 4xx is permanent. Redirects are not followed: a 3xx could send
 * the lead (a 307/308 replays the body) to an address nobody configured, so it is a failed delivery —
 * permanent for 301 and 308 (moved for good: the URL must be changed), retried like a 5xx otherwise.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  const res = await fetchWithTimeout(
    url,
    { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body },
    timeoutMs,
  );
  await res.body?.cancel().catch(() => {});
  if (res.ok) return;
  if (res.status >= 300 && res.status < 400) {
    const to = res.headers.get('location')?.slice(0, 200);
    throw new DeliveryError(
      `HTTP ${res.status} redirect${to ? ` to ${to}` : ''} not followed: configure the final URL`,
      res.status !== 301 && res.status !== 308,
    );
  }
  if (res.status === 429)
    throw new DeliveryError('429 Too Many Requests', true, retryAfterMs(res.headers.get('retry-after')));
  throw new DeliveryError(`HTTP ${res.status}`, res.status >= 500);
}
