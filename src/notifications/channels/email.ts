import nodemailer, { type Transporter } from 'nodemailer';
import { type Channel, DeliveryError } from '../delivery.js';
import { breakdownEntry, messageText, type NotificationMessage } from '../message.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** E-mail to the sales team through SMTP (nodemailer), with text and HTML bodies. */
export class EmailChannel implements Channel {
  readonly name = 'email';
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly to: readonly string[],
    timeoutMs: number,
  ) {
    const url = new URL(smtpUrl);
    this.transport = nodemailer.createTransport({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
      secure: url.protocol === 'smtps:',
      ...(url.username
        ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
        : {}),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
  }

  async send(m: NotificationMessage): Promise<void> {
    const rows = m.profile
      .map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
      .join('');
    const breakdown = m.breakdown.map((b) => `<li>${breakdownEntry(b, { esc: escapeHtml })}</li>`).join('');
    const html = `<h2>${escapeHtml(m.title)}</h2>${m.note ? `<p>${escapeHtml(m.note)}</p>` : ''}<table>${rows}</table><h3>Score breakdown</h3><ul>${breakdown}</ul><p><a href="${escapeHtml(m.link)}">Open the session in the agent console</a></p>`;
    try {
      await this.transport.sendMail({
        from: this.from,
        to: [...this.to],
        subject: m.title,
        text: messageText(m),
        html,
        headers: { 'X-Lead-Notification': m.id },
      });
    } catch (err) {
      const e = err as { responseCode?: number; message: string };
      // 5xx SMTP replies are permanent; 4xx replies, timeouts and connection errors are worth a retry.
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
      throw new DeliveryError(`SMTP: ${e.message}`, !permanent);
    }
  }

  close(): void {
    this.transport.close();
  }
}
