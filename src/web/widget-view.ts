/**
 * The widget's chrome: its styles, icons and frame, built inside an open shadow root so the host page's
 * CSS cannot reach it and its CSS cannot reach the host page. Nothing here talks to the server.
 */

import { type WidgetConfig, widgetConfig } from './widget-config.js';

// Inherited properties (colour, font) would still flow in from the host element: `all: initial` on the
// host, important so that it beats even the page's `!important` rules on it, cuts them off; every
// element in the shadow tree then takes its font and colour from the panel or the launcher.
const css = `
:host{all:initial!important;--lcb-accent:#1f6feb}
*,*::before,*::after{box-sizing:border-box}
.lcb-bubble{position:fixed;right:calc(20px + env(safe-area-inset-right,0px));bottom:calc(20px + env(safe-area-inset-bottom,0px));width:56px;height:56px;display:flex;align-items:center;justify-content:center;padding:0;border-radius:50%;border:0;background:var(--lcb-accent);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}
.lcb-bubble svg,.lcb-close svg{width:28px;height:28px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.lcb-close svg{width:20px;height:20px}
.lcb-panel{position:fixed;right:calc(20px + env(safe-area-inset-right,0px));bottom:calc(88px + env(safe-area-inset-bottom,0px));width:340px;max-height:520px;display:none;flex-direction:column;background:#fff;color:#1c1c1c;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);font:14px/1.4 system-ui,sans-serif,'Apple Color Emoji','Segoe UI Emoji','Noto Color Emoji';text-align:left;overflow:hidden;z-index:2147483000}
.lcb-panel.open{display:flex;animation:lcb-in .18s ease-out}
@keyframes lcb-in{from{opacity:0;transform:translateY(12px)}}
.lcb-head{display:flex;align-items:center;justify-content:space-between;background:var(--lcb-accent);color:#fff;padding:8px 8px 8px 14px;font-weight:600}
.lcb-lang{margin-left:auto;margin-right:4px;font:inherit;font-weight:400;font-size:13px;color:#1c1c1c;background:#fff;border:0;border-radius:6px;padding:3px 4px;max-width:110px}
.lcb-lang[hidden]{display:none}
.lcb-close{display:flex;padding:6px;border:0;border-radius:6px;background:none;color:inherit;cursor:pointer}
.lcb-log{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px;min-height:120px}
.lcb-msg{padding:8px 10px;border-radius:10px;max-width:85%;white-space:pre-wrap;overflow-wrap:break-word}
.lcb-bot{background:#f0f2f5;align-self:flex-start}.lcb-agent{background:#fff4d6;align-self:flex-start}
.lcb-me{background:var(--lcb-accent);color:#fff;align-self:flex-end}.lcb-note{color:#595959;font-size:12px;align-self:center}
.lcb-msg time{display:block;font-size:11px;margin-top:2px}
.lcb-status{background:#fff4d6;color:#5c4400;font-size:12px;padding:4px 14px}.lcb-status:empty{display:none}
.lcb-error{flex:1 1 100%;color:#b3261e;font-size:12px;margin-top:-4px}.lcb-error:empty{display:none}
.lcb-field[aria-invalid=true]{border-color:#b3261e}
.lcb-input button.lcb-card{display:flex;flex-direction:column;align-items:flex-start;gap:2px;width:100%;text-align:left;border-radius:10px;padding:8px 12px}
.lcb-card span{color:#4a4a4a;font-size:12px}
.lcb-badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#b3261e;color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center}.lcb-badge:empty{display:none}
.lcb-typing{color:#595959;font-size:12px;font-style:italic;padding:0 12px 6px}.lcb-typing:empty{display:none}
.lcb-input{flex:none;border-top:1px solid #e5e7eb;padding:8px;display:flex;flex-wrap:wrap;gap:6px;max-height:60%;overflow-y:auto}
.lcb-input:empty{display:none}
.lcb-input form{display:flex;flex-wrap:wrap;gap:6px;width:100%;margin:0}
.lcb-input button{font:inherit;border:1px solid var(--lcb-accent);background:#fff;color:var(--lcb-accent);border-radius:16px;padding:6px 12px;cursor:pointer}
.lcb-input button.primary{background:var(--lcb-accent);color:#fff}
.lcb-input button:disabled{opacity:.5;cursor:default}
.lcb-field{flex:1 1 100%;min-width:0;padding:8px;border:1px solid #ccc;border-radius:6px;font:16px/1.3 system-ui,sans-serif;color:inherit;background:#fff}
.lcb-checks{display:flex;flex-direction:column;gap:4px;width:100%;max-height:200px;overflow-y:auto;margin:0;padding:0;border:0}
.lcb-check{display:flex;align-items:center;gap:8px;padding:6px 10px;border:1px solid #d0d7de;border-radius:8px;cursor:pointer}
.lcb-check:has(input:checked){border-color:var(--lcb-accent);background:#eef4ff}
.lcb-check input{flex:none;width:18px;height:18px;margin:0;accent-color:var(--lcb-accent)}
:focus-visible{outline:2px solid #0b57d0;outline-offset:2px}
.lcb-sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.lcb-bubble.lcb-left,.lcb-panel.lcb-left{left:calc(20px + env(safe-area-inset-left,0px));right:auto}
.lcb-head .lcb-title{display:flex;align-items:center;gap:8px}.lcb-avatar{width:28px;height:28px;border-radius:50%;object-fit:cover;background:#fff}
@media (max-width:479.98px){
.lcb-panel{inset:0;width:auto;max-height:none;border-radius:0;padding:env(safe-area-inset-top,0px) env(safe-area-inset-right,0px) env(safe-area-inset-bottom,0px) env(safe-area-inset-left,0px)}
.lcb-bubble[aria-expanded=true]{display:none}}
@media (prefers-reduced-motion:reduce){*,*::before,*::after{animation:none!important;transition:none!important}}`;

const SVG = 'http://www.w3.org/2000/svg';

/** An outline icon from constant path data (never from the server). */
function icon(d: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  svg.append(path);
  return svg;
}
const CHAT_ICON = 'M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z';
const CLOSE_ICON = 'M6 6l12 12M18 6L6 18';

/** An element with properties and children; text always goes in as `textContent`, never as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of children) node.append(c);
  return node;
}

/** The parts of the widget that the conversation writes to. */
export interface WidgetView {
  /** The area for the current prompt's controls. */
  input: HTMLDivElement;
  isOpen(): boolean;
  /**
   * Adds a message to the log, with its time (`at`, else now) unless it is a note; bot, agent and note
   * messages are also announced to screen readers (not those restored from the history: `quiet`).
   */
  say(text: string, who: 'bot' | 'agent' | 'me' | 'note', at?: string, quiet?: boolean): void;
  /** The connection's state under the header ("Reconnecting…"); null hides it. */
  status(text: string | null): void;
  /** Who is typing, under the log ("Asha is typing…"); null hides it. */
  typing(text: string | null): void;
  /** Opens or closes the panel (the JS API). */
  setOpen(open: boolean): void;
  /** When the panel is open: shows the log's end and moves the focus to the prompt's first control. */
  focusPrompt(): void;
  /**
   * Offers the languages (shown in their own script) with `current` selected; `pick` is told the
   * visitor's choice. Hidden while there is only one.
   */
  languages(locales: string[], current: string, pick: (locale: string) => void): void;
}

/** Builds the launcher and the panel in a shadow root on a host element appended to the body. */
export function mountView(config: WidgetConfig = widgetConfig()): WidgetView {
  const host = el('div');
  // Through the CSSOM, which a strict style-src allows (unlike a style attribute in markup).
  if (config.color) host.style.setProperty('--lcb-accent', config.color);
  host.setAttribute('data-lcb-widget', '');
  const root = host.attachShadow({ mode: 'open' });

  // Scrollable, so reachable from the keyboard (arrow keys scroll it); named for screen readers.
  const log = el('div', { className: 'lcb-log', tabIndex: 0 });
  log.setAttribute('role', 'region');
  log.setAttribute('aria-label', 'Conversation');
  // A live region of its own, so that only what others say is announced, not the visitor's own echo.
  const live = el('div', { className: 'lcb-sr lcb-live' });
  live.setAttribute('aria-live', 'polite');
  const input = el('div', { className: 'lcb-input' });
  const state = el('div', { className: 'lcb-status' });
  state.setAttribute('role', 'status');
  const typing = el('div', { className: 'lcb-typing' });
  const close = el('button', { type: 'button', className: 'lcb-close', title: 'Close chat' }, [
    icon(CLOSE_ICON),
  ]);
  close.setAttribute('aria-label', 'Close chat');
  const lang = el('select', { className: 'lcb-lang', hidden: true });
  lang.setAttribute('aria-label', 'Language');
  let pickLanguage: (locale: string) => void = () => {};
  lang.addEventListener('change', () => pickLanguage(lang.value));
  const title = el('span', { className: 'lcb-title' }, [el('span', { textContent: config.title })]);
  if (config.avatar) title.prepend(el('img', { className: 'lcb-avatar', src: config.avatar, alt: '' }));
  const panel = el('div', { className: 'lcb-panel', id: 'lcb-panel' }, [
    el('div', { className: 'lcb-head' }, [title, lang, close]),
    state,
    log,
    typing,
    input,
    live,
  ]);
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', config.title);
  const bubble = el('button', { type: 'button', className: 'lcb-bubble', title: 'Chat' }, [icon(CHAT_ICON)]);
  bubble.setAttribute('aria-label', 'Open chat');
  bubble.setAttribute('aria-controls', 'lcb-panel');
  bubble.setAttribute('aria-expanded', 'false');
  // Messages that came while the panel was closed, counted on the launcher until it opens.
  const badge = el('span', { className: 'lcb-badge' });
  badge.setAttribute('aria-hidden', 'true');
  bubble.append(badge);
  let unread = 0;
  const label = () => {
    const open = isOpen();
    bubble.setAttribute(
      'aria-label',
      open ? 'Close chat' : unread ? `Open chat, ${unread} unread` : 'Open chat',
    );
    badge.textContent = unread && !open ? String(unread) : '';
  };

  const isOpen = () => panel.classList.contains('open');
  const focusPrompt = () => {
    if (!isOpen()) return;
    // The prompt's controls may have grown and pushed the last message out of sight.
    log.scrollTop = log.scrollHeight;
    input.querySelector<HTMLElement>('input, button')?.focus();
  };
  const setOpen = (open: boolean) => {
    panel.classList.toggle('open', open);
    bubble.setAttribute('aria-expanded', String(open));
    if (open) unread = 0;
    label();
    if (open) focusPrompt();
    else bubble.focus();
  };
  if (config.position === 'left') for (const part of [panel, bubble]) part.classList.add('lcb-left');
  // The greeting opens the panel after the page's delay, unless the visitor has opened or closed it.
  let touched = false;
  if (config.greetingDelayMs !== undefined)
    setTimeout(() => touched || isOpen() || setOpen(true), config.greetingDelayMs);
  bubble.addEventListener('click', () => {
    touched = true;
    setOpen(!isOpen());
  });
  close.addEventListener('click', () => {
    touched = true;
    setOpen(false);
  });
  panel.addEventListener('keydown', (e) => e.key === 'Escape' && setOpen(false));

  // A constructed stylesheet, which a host page's strict CSP (no 'unsafe-inline' in style-src) lets
  // apply, where it would block a <style> element; browsers without them get the element.
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else root.append(el('style', { textContent: css }));
  root.append(panel, bubble);
  document.body.append(host);

  return {
    input,
    isOpen,
    setOpen,
    focusPrompt,
    languages(locales, current, pick) {
      pickLanguage = pick;
      const name = (l: string) => {
        try {
          return new Intl.DisplayNames([l], { type: 'language' }).of(l) ?? l;
        } catch {
          return l;
        }
      };
      lang.replaceChildren(...locales.map((l) => el('option', { value: l, textContent: name(l), lang: l })));
      lang.value = current;
      lang.hidden = locales.length < 2;
      panel.lang = current;
    },
    say(text, who, at, quiet) {
      const msg = el('div', { className: `lcb-msg lcb-${who}`, textContent: text });
      if (who !== 'note') {
        const when = at ? new Date(at) : new Date();
        msg.append(
          el('time', {
            dateTime: when.toISOString(),
            textContent: when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
          }),
        );
      }
      log.append(msg);
      log.scrollTop = log.scrollHeight;
      if (who !== 'me' && !quiet) live.textContent = text;
      if ((who === 'bot' || who === 'agent') && !quiet && !isOpen()) {
        unread += 1;
        label();
      }
    },
    status(text) {
      state.textContent = text ?? '';
    },
    typing(text) {
      typing.textContent = text ?? '';
      log.scrollTop = log.scrollHeight;
    },
  };
}
