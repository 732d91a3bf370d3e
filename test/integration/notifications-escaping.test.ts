import { describe, expect, it } from 'vitest';
import type { Json } from '../support/http.js';
import { answerAll, serverOnEveryChannel, settled } from '../support/notifications.js';

/** What a visitor typed goes out on every channel as text: it pings nobody, links nowhere, formats nothing. */

describe('visitor text in the notifications', () => {
  const server = serverOnEveryChannel();
  const { slack, discord, teams, crm } = server;

  it('pings nobody, links nowhere and formats nothing in Slack, Discord and Teams; the CRM and the e-mail get it as written (escaped in the HTML)', async () => {
    const { engine } = server.app;
    const id = (await engine.startSession({ utmSource: '@here' })).sessionId;
    const name = '<!channel> @everyone *bold* <https://evil.example|click>';
    const place = '[click](https://evil.example) _it_ ~gone~ `code` <@U024BE7LH> @here';
    await engine.handle(id, { kind: 'profile', profile: { name } });
    await answerAll(engine, id, place);
    await settled(server.db, id, 6);
    const ZW = '\u200B';
    const pings = /@(everyone|here|channel)/;
    const bareUrl = /https?:\/\//;

    // Slack: & < > as entities, so no <!channel>, <@U…> or <url|label> is parsed; formatting characters
    // between zero-width spaces in mrkdwn; bare mentions and addresses broken; mrkdwn objects verbatim.
    const [s] = slack.of(id);
    expect(s).toBeDefined();
    const textObjects = (v: unknown): { type: string; text: string; verbatim?: boolean }[] =>
      Array.isArray(v)
        ? v.flatMap(textObjects)
        : v && typeof v === 'object'
          ? [
              ...((v as Json).type === 'plain_text' || (v as Json).type === 'mrkdwn' ? [v as Json] : []),
              ...Object.values(v).flatMap(textObjects),
            ]
          : [];
    const slackTexts = [{ type: 'mrkdwn', text: s!.json.text as string }, ...textObjects(s!.json.blocks)];
    expect(slackTexts.length).toBeGreaterThan(10);
    for (const x of slackTexts) {
      expect(x.text).not.toMatch(/[<>]/);
      expect(x.text).not.toMatch(pings);
      expect(x.text).not.toMatch(bareUrl);
      if (x.type === 'mrkdwn') expect(x.text).not.toMatch(/\*bold\*|_it_|~gone~|`code`/);
    }
    for (const x of textObjects(s!.json.blocks).filter((o) => o.type === 'mrkdwn'))
      expect(x.verbatim, x.text).toBe(true);
    expect(s!.json.text).toBe(
      `SQL lead: &lt;!channel&gt; @${ZW}everyone ${ZW}*${ZW}bold${ZW}*${ZW} &lt;https:${ZW}//evil.example|click&gt; (score 75)`,
    );
    expect(s!.json.blocks[0].text.text).toBe(
      `SQL lead: &lt;!channel&gt; @${ZW}everyone *bold* &lt;https:${ZW}//evil.example|click&gt; (score 75)`,
    );
    const location = textObjects(s!.json.blocks).find((o) => o.text.startsWith('*Location*\n'))!;
    // Without the zero-width spaces it reads as the visitor wrote it, with Slack's three entities.
    expect(location.text.replaceAll(ZW, '')).toBe(
      '*Location*\n[click](https://evil.example) _it_ ~gone~ `code` &lt;@U024BE7LH&gt; @here',
    );

    // Discord: markdown escaped with backslashes, and the payload allows no mention at all.
    const [d] = discord.of(id);
    expect(d).toBeDefined();
    expect(d!.json.allowed_mentions).toEqual({ parse: [] });
    const escapedName = `\\<!channel\\> @${ZW}everyone \\*bold\\* \\<https\\://evil.example\\|click\\>`;
    expect(d!.json.content).toBe(`SQL lead: ${escapedName} (score 75)`);
    expect(d!.json.embeds[0].title).toBe(`SQL lead: ${escapedName} (score 75)`);
    const embedFields: { name: string; value: string }[] = d!.json.embeds[0].fields;
    expect(embedFields.find((f) => f.name === 'Location')?.value).toBe(
      `\\[click\\](https\\://evil.example) \\_it\\_ \\~gone\\~ \\\`code\\\` \\<@U024BE7LH\\> @${ZW}here`,
    );
    expect(embedFields.find((f) => f.name === 'Source')?.value).toBe(`@${ZW}here`);
    for (const f of embedFields) {
      // Every markdown character is escaped (nothing else in these values starts a backslash).
      expect(f.value, f.name).not.toMatch(/(^|[^\\])[<>[\]*_~`|:]/);
      expect(f.value, f.name).not.toMatch(pings);
      expect(f.value, f.name).not.toMatch(bareUrl);
    }

    // Teams: markdown escaped with backslashes; <at> tags, links and broadcast words inert.
    const [m] = teams.of(id);
    expect(m).toBeDefined();
    const card = m!.json.attachments[0].content;
    expect(card.body[0].text).toBe(
      `SQL lead: \\<!channel\\> @${ZW}everyone \\*bold\\* \\<https:${ZW}//evil.example|click\\> (score 75)`,
    );
    const facts: { title: string; value: string }[] = card.body.find((b: Json) => b.type === 'FactSet').facts;
    expect(facts.find((f) => f.title === 'Location')?.value).toBe(
      `\\[click\\](https:${ZW}//evil.example) \\_it\\_ \\~gone\\~ \\\`code\\\` \\<@U024BE7LH\\> @${ZW}here`,
    );
    for (const f of facts) {
      expect(f.value, f.title).not.toMatch(/(^|[^\\])[<>[\]*_~`]/);
      expect(f.value, f.title).not.toMatch(pings);
      expect(f.value, f.title).not.toMatch(bareUrl);
    }

    // E-mail escapes for HTML, and the CRM webhook is data: both carry the name as given.
    expect(crm.of(id).find((h) => h.json.type === 'lead.sql')?.json.data).toMatchObject({
      name,
      location: place,
    });
    const mail = server.smtp.mails.find((x) => x.session === id)!;
    expect(mail.parsed.subject).toBe(`SQL lead: ${name} (score 75)`);
    expect(mail.parsed.html).not.toContain('<!channel>');
  });
});
