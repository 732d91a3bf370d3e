import type { WatchOpened } from '../protocol/index.js';
import { el } from './dom.js';

/**
 * A returning visitor's earlier leads in the console's session view (the `earlier` of `session:watch`):
 * when each started, its classification and score, and what linked it; a click opens it.
 */
export function showEarlier(
  section: HTMLElement,
  list: HTMLElement,
  earlier: WatchOpened['earlier'],
  open: (sessionId: string) => void,
): void {
  section.hidden = earlier.length === 0;
  list.replaceChildren(
    ...earlier.map((lead) => {
      const item = el('li');
      const link = el('button', new Date(lead.startedAt).toLocaleString(), 'earlier-open');
      link.type = 'button';
      link.dataset.session = lead.sessionId;
      link.addEventListener('click', () => open(lead.sessionId));
      const by = lead.linkedBy === 'identity' ? 'verified user' : 'same browser';
      item.append(link, ` ${lead.classification} · score ${lead.score} · ${by}`);
      return item;
    }),
  );
}
