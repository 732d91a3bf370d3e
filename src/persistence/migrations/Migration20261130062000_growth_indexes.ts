import { Migration } from '@mikro-orm/migrations';

/**
 * What keeps lists and analytics fast as stored data grows.
 *
 * Indexes for keyset pages in both default orders — by score `(score, last_activity_at, id)` and by time
 * `(created_at, id)` — for the board's "active in the last day" read (`last_activity_at`), and for the
 * hot SQL leads of the enhanced analytics.
 *
 * Analytics rollups: `analytics_hours` keeps, per hour of lead creation, the mergeable partial
 * aggregates of that hour's leads (see src/analytics/rollup.ts). `analytics_dirty` holds the hours whose
 * rows changed since: statement triggers on `leads` (insert, update, delete) and on deletes from
 * `answers`, `session_events` and `score_entries` add `(hour, writing transaction)` in the same
 * transaction as the change. One mark per transaction and hour, never another transaction's row, so
 * marking takes no lock that writers share; a refresh deletes the committed marks it sees and recomputes
 * those hours from the raw tables. Every hour that already has leads starts dirty.
 */
export class Migration20261130062000_growth_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "leads_score_keyset_index" on "leads" ("score", "last_activity_at", "id");`);
    this.addSql(`create index "leads_created_keyset_index" on "leads" ("created_at", "id");`);
    this.addSql(`create index "leads_last_activity_at_index" on "leads" ("last_activity_at");`);
    this.addSql(
      `create index "leads_hot_sql_index" on "leads" ("score" desc, "created_at" desc)
         where "classification" = 'SQL' and "erased_at" is null;`,
    );
    this.addSql(`create table "analytics_hours" (
      "hour" timestamptz not null primary key,
      "partial" jsonb not null,
      "refreshed_at" timestamptz not null default now());`);
    this.addSql(`create table "analytics_dirty" (
      "hour" timestamptz not null,
      "xid" xid8 not null,
      primary key ("hour", "xid"));`);
    // Marks the hours of creation of the changed leads (`changed`: the statement's transition table).
    this.addSql(`create function "analytics_mark_leads"() returns trigger language plpgsql as $$
      begin
        insert into analytics_dirty (hour, xid)
          select distinct date_trunc('hour', created_at), pg_current_xact_id() from changed
          on conflict do nothing;
        return null;
      end $$;`);
    // Rows of answers, events or ledger deleted (retention, erasure): the hours of their leads.
    this.addSql(`create function "analytics_mark_children"() returns trigger language plpgsql as $$
      begin
        insert into analytics_dirty (hour, xid)
          select distinct date_trunc('hour', l.created_at), pg_current_xact_id()
            from (select distinct lead_id from changed) c join leads l on l.id = c.lead_id
          on conflict do nothing;
        return null;
      end $$;`);
    // A lead's creation time never changes, so an update marks its hour once (the new rows suffice).
    for (const [event, rows] of [
      ['insert', 'new'],
      ['update', 'new'],
      ['delete', 'old'],
    ] as const) {
      this.addSql(`create trigger "leads_analytics_${event}" after ${event} on "leads"
        referencing ${rows} table as changed for each statement execute function analytics_mark_leads();`);
    }
    for (const table of ['answers', 'session_events', 'score_entries']) {
      this.addSql(`create trigger "${table}_analytics_delete" after delete on "${table}"
        referencing old table as changed for each statement execute function analytics_mark_children();`);
    }
    this.addSql(`insert into analytics_dirty (hour, xid)
      select distinct date_trunc('hour', created_at), '0'::xid8 from leads;`);
  }

  override async down(): Promise<void> {
    for (const table of ['answers', 'session_events', 'score_entries'])
      this.addSql(`drop trigger "${table}_analytics_delete" on "${table}";`);
    for (const t of ['insert', 'update', 'delete'])
      this.addSql(`drop trigger "leads_analytics_${t}" on "leads";`);
    this.addSql('drop function "analytics_mark_children"(), "analytics_mark_leads"();');
    this.addSql('drop table "analytics_dirty", "analytics_hours";');
    for (const i of ['hot_sql', 'last_activity_at', 'created_keyset', 'score_keyset'])
      this.addSql(`drop index "leads_${i}_index";`);
  }
}
