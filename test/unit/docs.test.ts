import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const README = 'README.md';
const DOCS = 'docs';
const docFiles = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .map((f) => join(DOCS, f));
const read = (file: string) => readFileSync(file, 'utf8');

/** The keys of the env schema in src/config.ts: the lines `  NAME: …` inside `const envSchema = z.object({ … });`. */
function configVariables(): Set<string> {
  const source = read('src/config.ts');
  const start = source.indexOf('const envSchema = z.object({');
  const end = source.indexOf('\n});', start);
  if (start < 0 || end < 0) throw new Error('src/config.ts: no `const envSchema = z.object({ … });` found');
  return new Set([...source.slice(start, end).matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!));
}

/** The variables named in the first cell of each row of the table in docs/configuration.md. */
function documentedVariables(): Set<string> {
  const names = read(join(DOCS, 'configuration.md'))
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
  return new Set(names);
}

/** Markdown without fenced code blocks and inline code, where `[x](y)` is an example, not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const headings = read(file)
    .replace(/^```[\s\S]*?^```/gm, '')
    .split('\n')
    .filter((line) => /^#{1,6} /.test(line));
  return new Set(headings.map((h) => anchorOf(h.replace(/^#+ /, ''))));
}

/** Every relative link of a file whose target file or heading is missing, as `file: target`. */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const [, target] of prose(read(file)).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [path = '', anchor] = target.split('#');
    const resolved = path === '' ? file : join(dirname(file), decodeURIComponent(path));
    if (!existsSync(resolved)) broken.push(`${file}: ${target} (no such file)`);
    else if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor))
      broken.push(`${file}: ${target} (no such heading)`);
  }
  return broken;
}

describe('the documentation', () => {
  it('documents every variable of src/config.ts in docs/configuration.md, and no other', () => {
    const code = configVariables();
    const documented = documentedVariables();
    // A schema written another way would find nothing here; fail rather than compare two empty sets.
    expect(code.size).toBeGreaterThan(40);
    const undocumented = [...code].filter((v) => !documented.has(v));
    const notInCode = [...documented].filter((v) => !code.has(v));
    expect(
      { undocumented, notInCode },
      `undocumented in docs/configuration.md: ${undocumented.join(', ') || '—'}; ` +
        `documented but not in src/config.ts: ${notInCode.join(', ') || '—'}`,
    ).toEqual({ undocumented: [], notInCode: [] });
  });

  it('keeps the README at most 12 KB', () => {
    expect(Buffer.byteLength(read(README))).toBeLessThanOrEqual(12 * 1024);
  });

  it('links from the README to every docs file, and back from each', () => {
    const readme = prose(read(README));
    for (const file of docFiles) {
      expect(readme, `README.md does not link ${file}`).toContain(`](${file})`);
      const [title, , back] = read(file).split('\n');
      expect(title, `${file} starts with a title`).toMatch(/^# \S/);
      expect(back, `${file} links back to the README`).toContain('](../README.md)');
    }
  });

  it('has no relative link to a missing file or heading', () => {
    expect([README, ...docFiles].flatMap(brokenLinks)).toEqual([]);
  });
});
