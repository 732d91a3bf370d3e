import { AUTH_KEYS, TOUCH_FIELDS, TOUCH_LIMITS, type Touch, touchFrom } from '../leads/attribution.js';

/** Campaign parameters and click ids a page's address may carry. */
const URL_FIELDS = TOUCH_FIELDS.filter((f) => f !== 'referrer' && f !== 'landing_page');
const VISIT_KEY = 'lcb-visit';

/** A value as the server takes it: trimmed, at most the field's length, absent when empty. */
function clip(value: string | null | undefined, max: number): string | undefined {
  const v = value?.trim().slice(0, max);
  return v ? v : undefined;
}

/** What this page's address and referrer say about where the visitor came from. */
function pageTouch(): Touch {
  const params = new URLSearchParams(location.search);
  const touch: Touch = {};
  for (const f of URL_FIELDS) {
    const v = clip(params.get(f), TOUCH_LIMITS[f]);
    if (v) touch[f] = v;
  }
  const referrer = clip(document.referrer, TOUCH_LIMITS.referrer);
  if (referrer) touch.referrer = referrer;
  const landing = clip(location.href, TOUCH_LIMITS.landing_page);
  if (landing) touch.landing_page = landing;
  return touch;
}

/** Whether the page starts a new visit: it carries campaign parameters, or came from another site. */
function startsVisit(touch: Touch): boolean {
  if (URL_FIELDS.some((f) => touch[f] !== undefined)) return true;
  if (!touch.referrer) return false;
  try {
    return new URL(touch.referrer).host !== location.host;
  } catch {
    return false;
  }
}

/**
 * The current visit's attribution under the handshake's names: the page the visit landed on, its
 * campaign parameters and referrer. Moving on within the site keeps the visit's touch (kept for the
 * tab in sessionStorage); a page with campaign parameters or from another site starts a new one.
 */
export function visitAttribution(script: HTMLScriptElement | null): Record<string, string> {
  const here = pageTouch();
  let touch = here;
  try {
    const stored = sessionStorage.getItem(VISIT_KEY);
    const kept = stored ? (touchFrom(JSON.parse(stored) as Record<string, unknown>) ?? null) : null;
    if (kept && !startsVisit(here)) touch = kept;
    else sessionStorage.setItem(VISIT_KEY, JSON.stringify(here));
  } catch {
    // Storage may be blocked; the page's own touch is sent.
  }
  // The embedding page may name a source (`data-utm-source`) for visits whose address names none.
  const named = clip(script?.dataset.utmSource, TOUCH_LIMITS.utm_source);
  if (named && touch.utm_source === undefined) touch = { ...touch, utm_source: named };
  const auth: Record<string, string> = {};
  for (const f of TOUCH_FIELDS) {
    const v = touch[f];
    if (v !== undefined) auth[AUTH_KEYS[f]] = v;
  }
  return auth;
}
