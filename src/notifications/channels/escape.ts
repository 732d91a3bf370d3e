/**
 * Text from visitors (names, answers, the source) made inert for chat: it reads the same, but it cannot
 * mention anyone, make a link, or format itself. Each platform has its own markup, so each has its own
 * escape. U+200B (zero-width space) is used where a platform has no escape of its own: it is invisible,
 * and it breaks the token a parser looks for (`@everyone`, `https://`, Slack's `*bold*`).
 */

const ZWSP = '\u200B';

/** `@everyone`, `@here`, `@channel` are broadcast mentions where they are parsed from plain words. */
const broadcast = (s: string) => s.replace(/@(everyone|here|channel)/gi, `@${ZWSP}$1`);
/** A bare `scheme://` address is turned into a link by the chat clients; this keeps it text. */
const bareUrls = (s: string) => s.replace(/:\/\//g, `:${ZWSP}//`);

/**
 * Slack text, for `plain_text` and `mrkdwn` objects alike: `&`, `<` and `>` as entities (Slack's own
 * escape), so `<!channel>`, `<@U…>` and `<https://…|label>` are shown, not parsed.
 */
export function slackPlain(s: string): string {
  return bareUrls(broadcast(s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))));
}

/**
 * Slack `mrkdwn`: `slackPlain`, and the formatting characters `*`, `_`, `~` and `` ` `` between
 * zero-width spaces (mrkdwn has no backslash escape; a marker with no word next to it formats nothing).
 */
export function slackMrkdwn(s: string): string {
  return slackPlain(s).replace(/[*_~`]/g, (c) => `${ZWSP}${c}${ZWSP}`);
}

/**
 * Discord markdown: the characters it gives a meaning to behind a backslash — emphasis, code, spoilers,
 * masked links `[label](url)`, `<@id>` / `<#id>` / `<t:…>` tags, headings, quotes and lists, and the `:`
 * of `https://` (an escaped colon is no link) and of `:emoji:`. Broadcast mentions are also broken with
 * a zero-width space; the payload's `allowed_mentions` is what guarantees nobody is pinged.
 */
export function discordMarkdown(s: string): string {
  return broadcast(s.replace(/[\\*_~`|<>#[\]:]/g, '\\$&').replace(/^([-+])/gm, '\\$1'));
}

/**
 * Teams (Adaptive Card markdown, CommonMark-like): the characters of emphasis, code, links (`[` and `]`;
 * an image is `![…]`), headings and `<at>` mentions behind a backslash, list markers at a line's start;
 * bare addresses and broadcast mentions broken as for Slack.
 */
export function teamsMarkdown(s: string): string {
  return bareUrls(broadcast(s.replace(/[\\*_~`<>#[\]]/g, '\\$&').replace(/^([-+])/gm, '\\$1')));
}

/**
 * `esc(text)` of as much of `text` as fits in `max` characters once escaped: platforms refuse a field
 * over their limit, and cutting after escaping could split an escape in two.
 */
export function within(text: string, esc: (s: string) => string, max: number): string {
  let n = Math.min(text.length, max);
  let out = esc(text.slice(0, n));
  while (out.length > max) {
    n -= Math.max(1, Math.ceil((out.length - max) / 8));
    out = esc(text.slice(0, n));
  }
  return out;
}
