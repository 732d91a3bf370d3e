import { Migration } from '@mikro-orm/migrations';

/**
 * What each lead is in the CRMs it is pushed to: one row per lead, CRM and kind of record (`contact`,
 * `note`, `deal` in HubSpot, `lead` in Odoo) holding the CRM's id, so later updates patch the same
 * records. A row per lead and CRM with kind `lease` serialises the syncs of one lead: it is taken
 * with an expiry (as outbox claims are), so a node that dies holding it only delays the next sync.
 */
export class Migration20261130060000_crm_links extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "crm_links" (
      "lead_id" varchar(40) not null,
      "crm" varchar(16) not null,
      "kind" varchar(16) not null,
      "external_id" varchar(64) null,
      "locked_until" timestamptz null,
      "updated_at" timestamptz not null default now(),
      primary key ("lead_id", "crm", "kind"));`);
    this.addSql(`alter table "crm_links" add constraint "crm_links_lead_id_foreign" foreign key ("lead_id")
      references "leads" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "crm_links";`);
  }
}
