import type { Classification } from '../scoring/classification.js';

/**
 * `window.LeadBot`, the host page's handle on the widget:
 *
 * ```js
 * LeadBot.open(); LeadBot.close();
 * await LeadBot.identify({ name: 'Meera', email: 'meera@example.com', phone: '+91 98765 43210' });
 * await LeadBot.setLocale('hi');
 * const stop = LeadBot.on('lead', ({ score, classification, state }) => …);
 * LeadBot.on('message', ({ who, text, at }) => …); // what the bot and agents say
 * ```
 */

/** The lead as the widget last heard it: sent to `on('lead')` when the score or the classification moves. */
export interface LeadState {
  score: number;
  classification: Classification;
  state: string;
}

/** A message the bot or an agent wrote, as `on('message')` gets it. */
export interface WidgetMessage {
  who: 'bot' | 'agent';
  text: string;
  at: string;
}

/** What `identify` and `setLocale` resolve to: the server's answer. */
export type ApiResult = { ok: true } | { ok: false; error: { code: string; message: string } };

interface Listeners {
  lead: (lead: LeadState) => void;
  message: (message: WidgetMessage) => void;
}

export interface LeadBotApi {
  open(): void;
  close(): void;
  /** Updates the lead's profile (a valid e-mail or phone counts as contact shared). */
  identify(profile: { name?: string; email?: string; phone?: string }): Promise<ApiResult>;
  /** Switches the conversation's language (the `visitor:locale` event). */
  setLocale(locale: string): Promise<ApiResult>;
  /** Returns the unsubscribe. */
  on<E extends keyof Listeners>(event: E, listener: Listeners[E]): () => void;
}

export interface ApiDeps {
  setOpen(open: boolean): void;
  identify: LeadBotApi['identify'];
  setLocale: LeadBotApi['setLocale'];
}

/** The API object, and what the widget calls to tell its listeners. */
export function leadBotApi(deps: ApiDeps) {
  const listeners: { [E in keyof Listeners]: Set<Listeners[E]> } = { lead: new Set(), message: new Set() };
  let last: LeadState | null = null;
  // A listener's error is the host page's own: it must not stop the widget.
  const call = <T>(fns: Set<(v: T) => void>, value: T) => {
    for (const fn of fns) {
      try {
        fn(value);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    }
  };
  const api: LeadBotApi = {
    open: () => deps.setOpen(true),
    close: () => deps.setOpen(false),
    identify: (profile) => deps.identify(profile),
    setLocale: (locale) => deps.setLocale(locale),
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
  };
  return {
    api,
    /** The lead as an acknowledgement or the handshake tells it (`state` empty: unknown). */
    lead(next: LeadState) {
      if (last && last.score === next.score && last.classification === next.classification) return;
      // A profile update does not say where the conversation is: the last known step stays.
      last = {
        score: next.score,
        classification: next.classification,
        state: next.state || last?.state || '',
      };
      call(listeners.lead, { ...last });
    },
    message(m: WidgetMessage) {
      call(listeners.message, m);
    },
  };
}
