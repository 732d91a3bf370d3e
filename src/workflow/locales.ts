import { type Resolved, Translations, type Workflow, type WorkflowSource } from './schema.js';

/**
 * The languages of a workflow: which locale a visitor gets, and the workflow's texts in it. A locale
 * asked for is looked up along its fallback chain (`hi-IN` → `hi` → the workflow's default), so a
 * browser's regional tag finds the language the workflow speaks.
 */

export type Locales = Workflow['locales'];

/** The tags tried for `tag`, most specific first: `hi-IN` → [`hi-in`, `hi`] (lower-cased). */
export function fallbackChain(tag: string): string[] {
  const parts = tag.trim().toLowerCase().split(/[-_]/).filter(Boolean);
  const chain: string[] = [];
  for (let n = parts.length; n > 0; n--) chain.push(parts.slice(0, n).join('-'));
  return chain;
}

/** The available locale that `tag` falls back to, or null when its chain reaches none of them. */
export function matchLocale(locales: Locales, tag: string | null | undefined): string | null {
  if (!tag) return null;
  for (const candidate of fallbackChain(tag)) {
    const hit = locales.available.find((l) => l.toLowerCase() === candidate);
    if (hit) return hit;
  }
  return null;
}

/** The language tags of an `Accept-Language` header, best first (q=0 dropped); bounded. */
export function acceptedLanguages(header: string | string[] | undefined): string[] {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  return value
    .slice(0, 1000)
    .split(',')
    .slice(0, 30)
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q ? Number(q.slice(2)) : 1;
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, i };
    })
    .filter((l) => l.tag.length > 0 && l.tag !== '*' && l.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.i - b.i)
    .map((l) => l.tag);
}

/**
 * The locale a new session speaks: the one the client asks for (handshake `auth.locale`, the REST
 * body's `locale`, which the widget fills from `data-lang` or `navigator.language`), else the best of
 * `Accept-Language`, else the workflow's default. A tag the workflow does not speak falls through.
 */
export function negotiateLocale(
  locales: Locales,
  asked: { locale?: string | null | undefined; acceptLanguage?: string | string[] | undefined },
): string {
  const requested = matchLocale(locales, asked.locale);
  if (requested) return requested;
  for (const tag of acceptedLanguages(asked.acceptLanguage)) {
    const hit = matchLocale(locales, tag);
    if (hit) return hit;
  }
  return locales.default;
}

/** One text in `locale`: along its chain, else the default locale's (else any given). */
export function pickText(
  value: string | Readonly<Record<string, string>>,
  locale: string,
  fallback: string,
): string {
  if (typeof value === 'string') return value;
  for (const tag of [...fallbackChain(locale), ...fallbackChain(fallback)]) {
    const key = Object.keys(value).find((k) => k.toLowerCase() === tag);
    if (key !== undefined) return value[key]!;
  }
  return Object.values(value)[0] ?? '';
}

/** A missing translation: where (the path in the workflow) and in which locale. */
interface MissingText {
  path: string;
  locale: string;
}

/** What the texts of a workflow lack: errors (refuse to start) and gaps of partial locales (warned). */
interface TranslationReport {
  errors: string[];
  partial: MissingText[];
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

/**
 * Checks every translated text against the workflow's locales: each must give the default locale and
 * every available one but the partial ones, and no locale the workflow does not list. A plain string
 * is one text for every language (a brand name, "₹5L+"). Experiments' greeting texts and CTA labels
 * (free-form config) are checked the same way.
 */
function checkTranslations(source: WorkflowSource): TranslationReport {
  const { locales } = source;
  const report: TranslationReport = { errors: [], partial: [] };
  const check = (map: Readonly<Record<string, string>>, path: string) => {
    for (const key of Object.keys(map)) {
      if (!locales.available.includes(key))
        report.errors.push(
          `${path}: "${key}" is not one of locales.available (${locales.available.join(', ')})`,
        );
    }
    for (const locale of locales.available) {
      if (map[locale] !== undefined) continue;
      if (locales.partial.includes(locale)) report.partial.push({ path, locale });
      else
        report.errors.push(`${path}: no "${locale}" text (add it, or list "${locale}" in locales.partial)`);
    }
  };
  const walk = (value: unknown, path: string[]): void => {
    if (value instanceof Translations) check(value.byLocale, path.join('.'));
    else if (Array.isArray(value)) for (const [i, v] of value.entries()) walk(v, [...path, String(i)]);
    else if (typeof value === 'object' && value !== null)
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  const { experiments, ...rest } = source;
  walk(rest, []);
  experiments.forEach((experiment, e) => {
    experiment.variants.forEach((variant, v) => {
      const at = `experiments.${e}.variants.${v}.config`;
      const { text, labels } = variant.config;
      if (isStringMap(text)) check(text, `${at}.text`);
      if (labels && typeof labels === 'object')
        for (const [id, value] of Object.entries(labels))
          if (isStringMap(value)) check(value, `${at}.labels.${id}`);
    });
  });
  // Problems in the default locale first, then by path.
  report.errors.sort();
  return report;
}

/** Every text of `value` in one locale (Translations resolved along `locale`'s chain). */
function resolveIn<T>(value: T, locale: string, fallback: string): Resolved<T> {
  if (value instanceof Translations) return pickText(value.byLocale, locale, fallback) as Resolved<T>;
  if (Array.isArray(value)) return value.map((v) => resolveIn(v, locale, fallback)) as Resolved<T>;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveIn(v, locale, fallback)]),
    ) as Resolved<T>;
  }
  return value as Resolved<T>;
}

/** Experiments' config texts (free-form: a string or a per-locale map) in one locale. */
function configTextsIn(workflow: Workflow, locale: string, fallback: string): Workflow {
  const say = (v: unknown) => (typeof v === 'string' || isStringMap(v) ? pickText(v, locale, fallback) : v);
  const experiments = workflow.experiments.map((e) => ({
    ...e,
    variants: e.variants.map((v) => {
      const { text, labels } = v.config;
      const config = { ...v.config };
      if (text !== undefined) config.text = say(text);
      if (labels && typeof labels === 'object' && !Array.isArray(labels))
        config.labels = Object.fromEntries(Object.entries(labels).map(([id, l]) => [id, say(l)]));
      return { ...v, config };
    }),
  }));
  return { ...workflow, experiments };
}

/** The views of a workflow per locale, kept on the default-locale workflow (not enumerable). */
const VIEWS = 'translations';
type WithViews = Workflow & { readonly [VIEWS]?: ReadonlyMap<string, Workflow> };

/**
 * The workflow in its default locale, carrying its view in every available locale. It is written
 * (JSON) as the source it was read from, translations and all, so it can be read back.
 */
export function localizeWorkflow(source: WorkflowSource): Workflow {
  const main = source.locales.default;
  const view = (locale: string) => configTextsIn(resolveIn(source, locale, main), locale, main);
  const base = view(main);
  const views = new Map<string, Workflow>([[main, base]]);
  for (const locale of source.locales.available) if (locale !== main) views.set(locale, view(locale));
  Object.defineProperty(base, VIEWS, { value: views, enumerable: false });
  Object.defineProperty(base, 'toJSON', { value: () => source, enumerable: false });
  return base;
}

/**
 * The workflow with its texts in `locale` (along the fallback chain); ids, points and order are the
 * same in every view. A workflow built by hand (no views) is its own view in every locale.
 */
export function workflowIn(workflow: Workflow, locale: string | null | undefined): Workflow {
  if (!locale) return workflow;
  const views = (workflow as WithViews)[VIEWS];
  const match = matchLocale(workflow.locales, locale);
  return (match && views?.get(match)) || workflow;
}

/** Where warnings go (the server's logger). */
export interface WarningLog {
  warn(data: Record<string, unknown>, message: string): void;
}

/** Validates a workflow's translations: throws on what is missing; warns once per gap of a partial locale. */
export function translationErrors(source: WorkflowSource, logger?: WarningLog): string[] {
  const report = checkTranslations(source);
  for (const gap of report.partial) {
    logger?.warn(
      { path: gap.path, locale: gap.locale, fallback: source.locales.default },
      'workflow text has no translation in a partial locale; the default locale is used',
    );
  }
  return report.errors;
}
