import type { Workflow } from './schema.js';

/** A page rule of the workflow (`scoring.pages`). */
export type PageRule = Workflow['scoring']['pages'][number];

/** The path of a reported page URL (an absolute URL or a path); null when it is neither. */
export function pathOf(url: string): string | null {
  try {
    return new URL(url, 'http://page.invalid').pathname;
  } catch {
    return null;
  }
}

/** Whether `path` matches a rule's pattern, in which `*` stands for any characters. */
export function matchesPattern(pattern: string, path: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(path);
}

/** The page rules a view of `url` meets (each still awards only once per session: see the ledger). */
export function pageRulesFor(workflow: Workflow, url: string): PageRule[] {
  const path = pathOf(url);
  if (path === null) return [];
  return workflow.scoring.pages.filter((rule) => matchesPattern(rule.pattern, path));
}
