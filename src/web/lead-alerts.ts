import type { LeadAlert } from '../protocol/index.js';
import { el } from './dom.js';

/**
 * What the console does when a lead becomes SQL or asks for a person: a toast in the page (a status
 * region, so screen readers hear it), a short beep when the agent turned sound on (off by default, the
 * choice kept in localStorage; made with WebAudio, no audio file), and a browser notification when the
 * agent allowed them. Every alert is also listed under Alerts.
 */

/** Where the sound choice is kept. */
export const SOUND_KEY = 'lcb-agent-sound';
/** The triggers that call for the agent's attention now. */
const URGENT = new Set(['sql', 'human_help']);
/** How long a toast stays. */
const TOAST_MS = 8_000;

const WHAT: Record<string, string> = { sql: 'New SQL lead', human_help: 'Visitor asks for a person' };

export interface AlertControls {
  list: HTMLElement;
  toasts: HTMLElement;
  sound: HTMLInputElement;
  notify: HTMLButtonElement;
}

export class LeadAlerts {
  private audio: AudioContext | null = null;

  constructor(
    private readonly ui: AlertControls,
    private readonly open: (sessionId: string) => void,
  ) {
    ui.sound.checked = localStorage.getItem(SOUND_KEY) === 'on';
    ui.sound.addEventListener('change', () => {
      localStorage.setItem(SOUND_KEY, ui.sound.checked ? 'on' : 'off');
      if (ui.sound.checked) this.beep(); // a first sound under the click unlocks audio in the browser
    });
    this.showNotifyButton();
    ui.notify.addEventListener('click', async () => {
      if (typeof Notification === 'undefined') return;
      await Notification.requestPermission();
      this.showNotifyButton();
    });
  }

  /** The button that asks for notifications shows only while the browser has not been asked. */
  private showNotifyButton(): void {
    this.ui.notify.hidden = typeof Notification === 'undefined' || Notification.permission !== 'default';
  }

  /** A lead alert from the server: listed, and for the urgent ones toasted, sounded and notified. */
  receive(a: LeadAlert): void {
    // Before the contact step a lead has no name yet: its business says more than its session id.
    const who =
      a.lead.name ?? (a.lead.businessType ? `a ${a.lead.businessType} visitor` : 'an anonymous visitor');
    const item = el('li', `${a.trigger}: ${who} (score ${a.lead.score})`);
    item.addEventListener('click', () => this.open(a.sessionId));
    this.ui.list.prepend(item);
    if (!URGENT.has(a.trigger)) return;
    const text = `${WHAT[a.trigger]}: ${who} (score ${a.lead.score})`;
    this.toast(a, text);
    if (this.ui.sound.checked) this.beep();
    if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
      const note = new Notification(text, { tag: `${a.sessionId}:${a.trigger}` });
      note.addEventListener('click', () => {
        window.focus();
        this.open(a.sessionId);
      });
    }
  }

  private toast(a: LeadAlert, text: string): void {
    const toast = el('div', '', `toast ${a.trigger}`);
    toast.dataset.session = a.sessionId;
    const open = el('button', 'Open');
    open.type = 'button';
    open.addEventListener('click', () => {
      toast.remove();
      this.open(a.sessionId);
    });
    const close = el('button', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'Dismiss');
    close.addEventListener('click', () => toast.remove());
    toast.append(el('span', text), open, close);
    this.ui.toasts.append(toast);
    setTimeout(() => toast.remove(), TOAST_MS);
  }

  /** A short two-tone beep. */
  private beep(): void {
    try {
      this.audio ??= new AudioContext();
      const ctx = this.audio;
      const gain = ctx.createGain();
      gain.gain.setValueAtTime(0.15, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.35);
      gain.connect(ctx.destination);
      for (const [freq, start] of [
        [880, 0],
        [1320, 0.12],
      ] as const) {
        const tone = ctx.createOscillator();
        tone.frequency.value = freq;
        tone.connect(gain);
        tone.start(ctx.currentTime + start);
        tone.stop(ctx.currentTime + start + 0.12);
      }
    } catch {
      // No audio output: the toast and the notification still say it.
    }
  }
}
