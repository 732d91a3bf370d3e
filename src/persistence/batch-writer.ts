import type { EntityMetadata, EntityProperty, MikroORM } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';
import { unstorableTextAt, unstorableTextMessage } from '../text.js';
import { Answer, Lead, Notification, ScoreEntry, SessionEvent } from './entities/index.js';
import { insertConversions } from './experiment-store.js';
import { type ColumnProp, field, q, Recordsets, runPrepared, scalarProps } from './recordsets.js';
import { type CommitUnit, DuplicateMessage, VersionConflict } from './rows.js';

/**
 * Writes many commit units with ONE statement: the rows of each table, for the whole batch, go as one
 * JSON array parameter expanded by `jsonb_to_recordset`, and data-modifying CTEs write every table.
 * A single statement is atomic by itself, costs one round trip, and its text is prepared once per
 * connection; it is built from the entity metadata, so the entities stay the one description of the
 * tables.
 *
 * A unit whose lead moved on (its version check fails) writes nothing and gets a VersionConflict.
 * Text the database cannot store fails its unit before anything is sent; any other refusal (a
 * duplicate message, a value too long) fails the statement, and the writer finds the unit to blame
 * (see `settle`), so one bad event fails only its own caller and costs few extra statements.
 */
export class BatchWriter {
  private readonly statement: string;
  private readonly sets = new Recordsets();

  constructor(private readonly orm: MikroORM) {
    const meta = (entity: { meta: { className: string } }) => orm.getMetadata().get(entity.meta.className);
    // Each table's rows are parameter $n of the statement, in the order the CTEs below name them.
    const ofWrittenLeads = 'where v.lead_id = any(array(select id from written))';
    const children = (m: EntityMetadata, tail = '', only?: string[]) =>
      this.sets.insert(
        m,
        scalarProps(m).filter((p) => !p.primary && (!only || only.includes(p.name))),
        tail,
        ofWrittenLeads,
      );

    const lead = meta(Lead);
    const leadProps = scalarProps(lead);
    // The version the change was computed from travels with the row; a lead that moved on is skipped.
    const expected: ColumnProp = {
      name: 'expectedVersion',
      fieldNames: ['expected_version'],
      columnTypes: ['int'],
    };
    const set = leadProps
      .filter((p) => !p.primary)
      .map((p) => `${q(field(p))} = v.${q(field(p))}`)
      .join(', ');
    const answer = meta(Answer);
    // A later answer replaces the text; what the first answer earned and when it came stay.
    const merged = ['answer', 'optionIds', 'questionText', 'clientTimeTaken', 'updatedAt']
      .map((name) => q(field(answer.properties[name as keyof typeof answer.properties] as EntityProperty)))
      .map((f) => `${f} = excluded.${f}`)
      .join(', ');
    this.statement = [
      `with created as (${this.sets.insert(lead, leadProps, 'on conflict (id) do nothing returning id')}),`,
      `changed as (update ${q(lead.tableName)} l set ${set} from ${this.sets.source([...leadProps, expected])}`,
      // An erased lead is never written again, whatever version a stale copy of it names.
      '  where l.id = v.id and l.version = v.expected_version and l.erased_at is null returning l.id),',
      'written as (select id from created union all select id from changed),',
      `events as (${children(meta(SessionEvent))}),`,
      `ledger as (${children(meta(ScoreEntry))}),`,
      `notifications as (${children(
        meta(Notification),
        'on conflict (lead_id, trigger, channel) do nothing',
        ['lead', 'trigger', 'channel', 'status', 'attempts', 'nextAttemptAt', 'createdAt'],
      )}),`,
      `conversions as (${insertConversions(orm, this.sets, ofWrittenLeads)}),`,
      `answers as (${children(answer, `on conflict (lead_id, question_id) do update set ${merged}`)})`,
      'select id from written',
    ].join('\n');
  }

  /**
   * Commits the units; returns, per unit, null or its error. Units of the same lead in one call are
   * written in order, in separate rounds.
   */
  async write(units: readonly CommitUnit[]): Promise<(Error | null)[]> {
    const outcomes: (Error | null)[] = new Array(units.length).fill(null);
    for (const round of rounds(units)) {
      const results = await this.settle(round.map((i) => units[i]!));
      round.forEach((i, k) => {
        outcomes[i] = results[k]!;
      });
    }
    return outcomes;
  }

  /**
   * Writes the units (of distinct leads) and works out each one's outcome. A unit with text the
   * database would refuse fails with `validation_failed` and is not sent. When the statement fails,
   * the unit its error names (a key violation names the lead) fails alone and the others go again in
   * one statement; an error that names none splits the batch in halves, so one bad unit among n costs
   * about 2·log2(n) statements instead of n. A failure of the database rather than of the rows (a lost
   * connection, a shutdown, exhausted resources) fails every unit at once: repeating it unit by unit
   * would only repeat it.
   */
  private async settle(batch: readonly CommitUnit[]): Promise<(Error | null)[]> {
    const values = this.values(batch);
    // The JSON text shows cheaply whether any string may hold NUL or a lone surrogate (a backslash
    // typed before "u0000" looks the same); only then is each unit walked to find which.
    if (values.some((v) => mayBeUnstorable.test(v))) {
      const refused = batch.map(unstorable);
      if (refused.some((r) => r !== null)) {
        const rest = batch.filter((_, i) => refused[i] === null);
        const results = rest.length > 0 ? await this.settle(rest) : [];
        let k = 0;
        return refused.map((r) => r ?? results[k++]!);
      }
    }
    try {
      return await this.execute(batch, values);
    } catch (err) {
      if (batch.length === 1) return [commitError(err)];
      if (!aboutTheRows(err)) return batch.map(() => commitError(err));
      const culprit = namedUnit(err, batch);
      if (culprit >= 0) {
        const results = await this.settle(batch.filter((_, i) => i !== culprit));
        results.splice(culprit, 0, commitError(err));
        return results;
      }
      const half = Math.ceil(batch.length / 2);
      return [...(await this.settle(batch.slice(0, half))), ...(await this.settle(batch.slice(half)))];
    }
  }

  /** The statement's parameters: each table's rows of the units, as one JSON array. */
  private values(units: readonly CommitUnit[]): string[] {
    const each = <T>(pick: (u: CommitUnit) => T[] | undefined) => units.flatMap((u) => pick(u) ?? []);
    return this.sets.values([
      units.filter((u) => u.expectedVersion === null).map((u) => u.lead),
      units
        .filter((u) => u.expectedVersion !== null)
        .map((u) => ({ ...u.lead, expectedVersion: u.expectedVersion })),
      each((u) => u.events.map((e) => ({ ...e, lead: u.lead.id }))),
      each((u) => u.ledger.map((l) => ({ ...l, lead: u.lead.id }))),
      each((u) =>
        u.notifications?.map((n) => ({
          ...n,
          lead: u.lead.id,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: u.lead.updatedAt,
          createdAt: u.lead.updatedAt,
        })),
      ),
      each((u) => u.conversions?.map((c) => ({ ...c, lead: u.lead.id, value: null, at: u.lead.updatedAt }))),
      each((u) => u.answers.map((a) => ({ ...a, lead: u.lead.id, updatedAt: a.answeredAt }))),
    ]);
  }

  private async execute(units: readonly CommitUnit[], values: string[]): Promise<(Error | null)[]> {
    const written = new Set((await this.query(values)).map((r) => r.id));
    return units.map((u) =>
      written.has(u.lead.id)
        ? null
        : new VersionConflict(
            u.expectedVersion === null
              ? `lead ${u.lead.id} already exists`
              : `lead ${u.lead.id} is no longer at version ${u.expectedVersion}`,
          ),
    );
  }

  private query(values: string[]): Promise<{ id: string }[]> {
    return runPrepared(this.orm, 'lcb_commit_batch', this.statement, values);
  }
}

/** Maps a database error of one unit to what the engine understands. */
function commitError(err: unknown): Error {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e.code === '23505') {
    // A unique violation means another writer got there first: a duplicate message or a newer version.
    if (/client_message_id/.test(e.constraint ?? e.message ?? ''))
      return new DuplicateMessage(String(e.message));
    return new VersionConflict(String(e.message));
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** NUL or a lone surrogate as JSON.stringify spells them (or a typed backslash before such letters). */
const mayBeUnstorable = /\\u(?:0000|d[89a-f])/;

/** The refusal of a unit with text PostgreSQL cannot store (NUL, a lone surrogate), or null. */
function unstorable(unit: CommitUnit): AppError | null {
  const path = unstorableTextAt(unit);
  if (path === null) return null;
  return new AppError(
    'validation_failed',
    `The text at ${path} cannot be stored: ${unstorableTextMessage}.`,
    {
      issues: [{ path, message: unstorableTextMessage }],
    },
  );
}

/**
 * Whether a failed statement may be the fault of some unit's rows (a constraint, a value out of
 * range) rather than of the database: no SQLSTATE is a lost connection; classes 08, 53, 57, 58 and XX
 * are the connection, resources, an operator (shutdown, cancel) and the server itself.
 */
function aboutTheRows(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !/^(08|53|57|58|XX)/.test(code);
}

/**
 * The unit a key violation names, or -1: the detail spells the key (`Key (lead_id, client_message_id)=
 * (sess_…, m-1) already exists.`), and every key of the tables written with a lead starts with its id.
 */
function namedUnit(err: unknown, batch: readonly CommitUnit[]): number {
  const detail = (err as { detail?: unknown }).detail;
  const key = typeof detail === 'string' ? /^Key \(lead_id(?:, [^)]*)?\)=\((.*)\) /s.exec(detail) : null;
  if (!key) return -1;
  return batch.findIndex((u) => key[1] === u.lead.id || key[1]!.startsWith(`${u.lead.id}, `));
}

/** Splits unit indexes into rounds in which no lead appears twice (normally a single round). */
function rounds(units: readonly CommitUnit[]): number[][] {
  const out: number[][] = [];
  const seen: Set<string>[] = [];
  units.forEach((u, i) => {
    let r = 0;
    while (seen[r]?.has(u.lead.id)) r++;
    if (r === seen.length) {
      seen.push(new Set());
      out.push([]);
    }
    seen[r]!.add(u.lead.id);
    out[r]!.push(i);
  });
  return out;
}
