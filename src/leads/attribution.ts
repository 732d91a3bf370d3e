/**
 * Where a visitor came from: the campaign parameters, ad click ids, referrer and landing page of one
 * arrival ("touch"). Values are text, bounded by the schemas, stored as given and never interpreted.
 * A lead keeps its first touch (the session's start) and its last (a returning visitor's latest visit).
 */
export const TOUCH_FIELDS = [
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'gclid',
  'fbclid',
  'msclkid',
  'referrer',
  'landing_page',
] as const;
export type TouchField = (typeof TOUCH_FIELDS)[number];

/** One arrival's attribution; a field the client did not send is absent. */
export type Touch = Partial<Record<TouchField, string>>;

/** The longest value each field takes: URLs 2000 characters, the rest 200. */
export const TOUCH_LIMITS: Readonly<Record<TouchField, number>> = {
  utm_source: 200,
  utm_medium: 200,
  utm_campaign: 200,
  utm_term: 200,
  utm_content: 200,
  gclid: 200,
  fbclid: 200,
  msclkid: 200,
  referrer: 2000,
  landing_page: 2000,
};

/** The socket handshake's name of each field (camelCase, like the rest of the handshake auth). */
export const AUTH_KEYS = {
  utm_source: 'utmSource',
  utm_medium: 'utmMedium',
  utm_campaign: 'utmCampaign',
  utm_term: 'utmTerm',
  utm_content: 'utmContent',
  gclid: 'gclid',
  fbclid: 'fbclid',
  msclkid: 'msclkid',
  referrer: 'referrer',
  landing_page: 'landingPage',
} as const satisfies Readonly<Record<TouchField, string>>;

/** The touch in `input` under the given names, or null when it names none of the fields. */
export function touchFrom(
  input: Readonly<Record<string, unknown>> | null | undefined,
  names: Readonly<Record<TouchField, string>> | null = null,
): Touch | null {
  if (!input) return null;
  const touch: Touch = {};
  for (const field of TOUCH_FIELDS) {
    const value = input[names ? names[field] : field];
    if (typeof value === 'string' && value.length > 0) touch[field] = value;
  }
  return Object.keys(touch).length > 0 ? touch : null;
}

/** Whether two touches say the same thing. */
export function sameTouch(a: Touch | null | undefined, b: Touch | null | undefined): boolean {
  return TOUCH_FIELDS.every((f) => (a?.[f] ?? null) === (b?.[f] ?? null));
}

/** The lead's attribution fields as the lead row keeps them. */
export interface AttributionRow {
  utmSource?: string | null;
  utmMedium?: string | null;
  utmCampaign?: string | null;
  firstTouch?: Touch | null;
  lastTouch?: Touch | null;
  lastTouchAt?: Date | null;
}

/** The row fields of a session's first touch (the last touch starts as the first). */
export function firstTouchRow(touch: Touch | null): Required<AttributionRow> {
  return {
    utmSource: touch?.utm_source ?? null,
    utmMedium: touch?.utm_medium ?? null,
    utmCampaign: touch?.utm_campaign ?? null,
    firstTouch: touch,
    lastTouch: null,
    lastTouchAt: null,
  };
}

/**
 * Whether a returning visitor's touch is news: it names something and differs from the touch the lead
 * last recorded (a reconnect from the same page is the same visit).
 */
export function isNewTouch(lead: AttributionRow, touch: Touch | null): touch is Touch {
  return touch !== null && !sameTouch(lead.lastTouch ?? lead.firstTouch ?? null, touch);
}

/** The lead's first and last touch, every field present (null when unknown), for views and exports. */
export function attributionView(lead: AttributionRow) {
  const first = lead.firstTouch ?? (lead.utmSource ? { utm_source: lead.utmSource } : null);
  const full = (t: Touch | null | undefined) =>
    Object.fromEntries(TOUCH_FIELDS.map((f) => [f, t?.[f] ?? null])) as Record<TouchField, string | null>;
  return {
    first: full(first),
    last: { ...full(lead.lastTouch ?? first), at: lead.lastTouchAt?.toISOString() ?? null },
  };
}

type Flat<P extends string> = { [F in TouchField as `${P}${F}`]: string | null };

/**
 * The attribution keys of the CRM export, after its earlier keys: the first touch's fields beside
 * `utm_source` (which it already had), then the last touch as `last_…` and when it was.
 */
export function attributionExport(lead: AttributionRow) {
  const { first, last } = attributionView(lead);
  const { utm_source: _, ...firstRest } = first;
  const lastFlat = Object.fromEntries(TOUCH_FIELDS.map((f) => [`last_${f}`, last[f]])) as Flat<'last_'>;
  return { ...firstRest, ...lastFlat, last_touch_at: last.at };
}

/** The CRM export's attribution keys, in order (CSV columns). */
export const ATTRIBUTION_EXPORT_FIELDS = [
  ...TOUCH_FIELDS.filter((f) => f !== 'utm_source'),
  ...TOUCH_FIELDS.map((f) => `last_${f}` as const),
  'last_touch_at',
] as (keyof ReturnType<typeof attributionExport>)[];
