import type { ThreadMessage } from '../whatsapp/store.js';
import { el } from './dom.js';
import { timeOf } from './transcript.js';

/** How often the delivery of an open WhatsApp session's messages is read again (statuses come from Meta). */
const REFRESH_MS = 5000;

/**
 * The delivery of the messages sent to the WhatsApp user of the open session: each with the furthest
 * status Meta reported (sent, delivered, read, or failed with its error), read from
 * `GET /api/whatsapp/:session_id/messages` when the session opens and every few seconds while it is open.
 */
export class WhatsAppDelivery {
  private timer: ReturnType<typeof setInterval> | null = null;
  private session: string | null = null;

  constructor(
    private readonly box: HTMLElement,
    private readonly token: () => string | null,
  ) {}

  /** A session was opened: its delivery is shown if it is a WhatsApp one, and hidden otherwise. */
  show(sessionId: string, whatsapp: boolean): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.session = whatsapp ? sessionId : null;
    this.box.replaceChildren();
    this.box.hidden = !whatsapp;
    if (!whatsapp) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  private async refresh(): Promise<void> {
    const id = this.session;
    const token = this.token();
    if (!id || !token) return;
    const res = await fetch(`/api/whatsapp/${encodeURIComponent(id)}/messages`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => null);
    if (!res?.ok || this.session !== id) return;
    const { messages } = (await res.json()) as { messages: ThreadMessage[] };
    const sent = messages.filter((m) => m.direction === 'out');
    const list = el('ul');
    list.append(
      ...sent.map((m) => {
        const failed = m.statuses?.find((s) => s.status === 'failed');
        const item = el(
          'li',
          `${timeOf(m.at)} ${m.kind}: ${m.status ?? 'accepted'}`,
          `wa-status ${m.status ?? ''}`,
        );
        if (failed?.error) item.append(el('span', ` (${failed.error})`, 'evidence'));
        return item;
      }),
    );
    this.box.replaceChildren(el('h3', `WhatsApp delivery (${sent.length} sent)`), list);
  }
}
