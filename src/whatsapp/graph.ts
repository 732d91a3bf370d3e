import { DeliveryError, fetchWithTimeout, retryAfterMs } from '../notifications/delivery.js';

export interface GraphOptions {
  /** `{WHATSAPP_GRAPH_BASE_URL}/{WHATSAPP_GRAPH_VERSION}`. */
  graphUrl: string;
  phoneNumberId: string;
  accessToken: string;
  timeoutMs: number;
}

/**
 * The one Cloud API call the door makes: `POST /{phone-number-id}/messages` with the access token as a
 * Bearer token. It answers the message id (`wamid…`) the statuses will name. 429, 5xx, timeouts and
 * connection failures are worth retrying; any other answer is permanent, with the Graph API's own
 * error message (the token never appears in an error).
 */
export class GraphClient {
  constructor(private readonly options: GraphOptions) {}

  async send(payload: Record<string, unknown>): Promise<string> {
    const { graphUrl, phoneNumberId, accessToken, timeoutMs } = this.options;
    const res = await fetchWithTimeout(
      `${graphUrl}/${phoneNumberId}/messages`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify(payload),
      },
      timeoutMs,
      'connection to the Graph API failed',
    );
    const body = (await res.json().catch(() => null)) as {
      messages?: { id?: string }[];
      error?: { message?: string; code?: number };
    } | null;
    if (res.ok) {
      const id = body?.messages?.[0]?.id;
      if (!id) throw new DeliveryError('the Graph API answered without a message id', true);
      return id;
    }
    const said = body?.error ? `: ${body.error.code ?? ''} ${body.error.message ?? ''}`.trimEnd() : '';
    if (res.status === 429)
      throw new DeliveryError(`HTTP 429${said}`, true, retryAfterMs(res.headers.get('retry-after')));
    throw new DeliveryError(`HTTP ${res.status}${said.slice(0, 500)}`, res.status >= 500);
  }
}
