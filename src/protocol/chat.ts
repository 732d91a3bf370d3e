import type { z } from 'zod';
import type { Step } from '../../machines/types.js';
import type { Award, PromptMessage } from '../conversation/transition.js';
import type { Classification } from '../scoring/classification.js';
import type { Schemas } from '../transport/schemas.js';
import type { Ack } from './acks.js';

/**
 * The `/chat` namespace on the wire: what a visitor's client (the widget, or any socket.io client)
 * and the server send each other. Payloads a client sends are the inputs of the schemas in
 * src/transport/schemas.ts, which the server parses every one of them with.
 */

/**
 * The newest chat protocol the server speaks. A client asks for one in the handshake's `auth.protocol`
 * and is served the lower of the two. 1 (the default): a visitor event's bot replies arrive as
 * `bot:message` on every connection of the session, before the ack. 2: the sending connection gets them
 * in the ack's `messages` instead (one frame per event); the session's other connections still get
 * `bot:message`.
 */
export const CHAT_PROTOCOL = 2;

/** The handshake's `auth`: without a known `sessionId` a new session starts. */
export type ChatAuth = z.input<Schemas['chatAuth']>;

/** An answer to whatever the bot asked, by option ids or by text (an option's label matches too). */
export type VisitorReply = z.input<Schemas['visitorReply']>;
/** The contact step: name, e-mail, phone, or `skip`. */
export type VisitorContact = z.input<Schemas['visitorContact']>;
/** A click on a product, the demo, the pricing or a CTA. */
export type VisitorAction = z.input<Schemas['visitorAction']>;
/** A page the visitor views: on load and on every navigation of a single-page app. */
export type VisitorPage = z.input<Schemas['visitorPage']>;
/** The visitor switches language (`{ locale: "hi" }`): the pending prompt comes again in it. */
export type VisitorLocale = z.input<Schemas['visitorLocale']>;
/** The visitor is typing (`{}` or `{ typing: true }`), or stopped (`{ typing: false }`). */
export type VisitorTyping = z.input<Schemas['visitorTyping']>;
/** After hours, the time to be called back (`{ time }`: an offered slot's id, or typed as "10:30"). */
export type VisitorCallback = z.input<Schemas['visitorCallback']>;
/** The callback as stored: its ISO time, the time in the team's zone, and the confirmation to show. */
export type CallbackAck = Ack<{ callbackAt: string; label: string; confirmation: string }>;

/** Sent once after connecting: the session started or resumed, as it stands. */
export interface SessionHello {
  sessionId: string;
  /** The chat protocol this connection is served (see CHAT_PROTOCOL). */
  protocol: number;
  resumed: boolean;
  state: Step;
  score: number;
  classification: Classification;
  /** The experiment variants the session was assigned (test name → variant). */
  variants: Record<string, string>;
  /** The language the session speaks, and those the workflow offers (for a language switcher). */
  locale: string;
  locales: string[];
  /** The widget's own words per locale (Send, the answer field, the contact fields), as the workflow gives them. */
  labels: Record<string, Partial<Record<'send' | 'typeAnswer' | 'name' | 'phone' | 'email', string>>>;
  /**
   * A resumed session's conversation so far, from its event log (the latest 200 lines): the bot's
   * prompts, the visitor's answers as labels, agents' messages as `Name: text`, each with `seq` and `at`.
   */
  history?: HistoryLine[];
  /**
   * Present when nobody can answer now: the team the lead would go to is outside its business hours
   * (`closed`) or has nobody online (`nobody_online`); `back` is when it is, in the team's zone
   * ("Monday 9:00 IST"), for the widget to show.
   */
  afterHours?: CallbackOffer;
}

/** One line of a resumed session's history (src/conversation/history.ts reads them from the log). */
export interface HistoryLine {
  /** The event's place in the session's log. */
  seq: number;
  who: 'bot' | 'visitor' | 'agent';
  /** As the console words it: an agent's message reads `Name: text`. */
  text: string;
  /** ISO time of the event. */
  at: string;
}

/** An option of a prompt; a CTA's carries a line of description (the widget shows it as a card). */
export interface PromptOption {
  id: string;
  label: string;
  description?: string;
}

/** A bot message: `seq` is its place in the session's event log. */
export type BotMessage = Omit<PromptMessage, 'options'> & { options?: PromptOption[] };

/** What a visitor event did to the session. */
export interface VisitorOutcome {
  score: number;
  classification: Classification;
  state: Step;
  awarded: Award[];
  /** The same `clientMessageId` was taken before: this is its first result again. */
  duplicate?: true;
  /**
   * After hours, the visitor asked for a person and the bot now asks when to call back (its `bot:message`
   * has `input: 'callback'`): answer with `visitor:callback { time }`, a slot's `id` or a typed time.
   */
  callback?: CallbackOffer;
  /**
   * Protocol 2: the bot messages this event put (in order; none is sent to this connection as
   * `bot:message`). A duplicate carries the prompt the bot waits on now.
   */
  messages?: BotMessage[];
}

/**
 * After hours: the team the lead goes to, why nobody answers now, when the team is back ("Monday 9:00
 * IST"), and the callback times offered (`id` an ISO time, `label` as the visitor reads it).
 */
export interface CallbackOffer {
  team: string;
  reason: 'closed' | 'nobody_online';
  back: string;
  slots: { id: string; label: string }[];
}

/** The acknowledgement of every visitor event. */
export type VisitorAck = Ack<VisitorOutcome>;

/**
 * What a refusal may carry in `error.details` besides its own fields: the prompt the session waits on
 * now, when the client may be showing an older one (another tab, node or door moved it on).
 */
export interface RefusalDetails {
  prompt?: BotMessage;
}

/** An agent took the session over (`agent:joined`) or released it (`agent:left`). */
export interface AgentNotice {
  name: string;
  at: string;
}

/** An agent's message to the visitor; `seq` is its place in the session's event log. */
export interface AgentChatMessage {
  seq: number;
  name: string;
  text: string;
  at: string;
}

/** Client → server on `/chat`. */
export interface ChatClientToServerEvents {
  'visitor:reply': (payload: VisitorReply, ack: (response: VisitorAck) => void) => void;
  'visitor:contact': (payload: VisitorContact, ack: (response: VisitorAck) => void) => void;
  'visitor:action': (payload: VisitorAction, ack: (response: VisitorAck) => void) => void;
  /** Recorded in the session (agents see it live); scored only by a page rule of the workflow. */
  'visitor:page': (payload: VisitorPage, ack: (response: VisitorAck) => void) => void;
  /**
   * Switch language: acked like a reply; the pending prompt is sent again (`bot:message`) in the new
   * language. A language the workflow does not speak is refused with `unsupported_locale`.
   */
  'visitor:locale': (payload: VisitorLocale, ack: (response: VisitorAck) => void) => void;
  /**
   * After hours, once the visitor asked for a person: the time to be called back, an offered slot's `id`
   * or a typed time of the next opening; acked with the time and the confirmation to show.
   */
  'visitor:callback': (payload: VisitorCallback, ack: (response: CallbackAck) => void) => void;
  /** Not acknowledged: dropped when over the socket's budget or malformed. */
  'visitor:typing': (payload: VisitorTyping) => void;
}

/** Server → client on `/chat`: to every connection of the session, whichever door or node caused it. */
export interface ChatServerToClientEvents {
  /** Once, right after connecting. */
  session: (hello: SessionHello) => void;
  'bot:message': (message: BotMessage) => void;
  'agent:joined': (notice: AgentNotice) => void;
  'agent:left': (notice: AgentNotice) => void;
  'agent:message': (message: AgentChatMessage) => void;
  /** An agent started or stopped typing in the session's composer (relayed live, never stored). */
  'agent:typing': (typing: { typing: boolean; name: string }) => void;
}

/** What a connection is greeted with: `session`, then the bot messages the session waits on. */
export interface Opening {
  hello: SessionHello;
  messages: BotMessage[];
}

/** What the server keeps on a `/chat` socket. */
export interface ChatSocketData {
  sessionId: string;
  /** From the handshake until the connection greets the visitor with it; then dropped. */
  opening?: Opening;
  /** The bot's replies come in the acks (protocol 2). */
  inAck?: true;
}
