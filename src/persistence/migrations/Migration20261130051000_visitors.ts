import { Migration } from '@mikro-orm/migrations';

/**
 * Returning visitors: the widget's long-lived visitor id and the host site's verified user id
 * (identity), each indexed, so that a new session finds the visitor's earlier leads; the newest of them
 * when the session started, and whether any was SQL (the `returning_lead` alert).
 */
export class Migration20261130051000_visitors extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "leads"
      add column "visitor_id" varchar(64) null,
      add column "identity" varchar(200) null,
      add column "returning_from" varchar(40) null,
      add column "returning_sql" boolean not null default false;`);
    this.addSql(`create index "leads_visitor_id_index" on "leads" ("visitor_id");`);
    this.addSql(`create index "leads_identity_index" on "leads" ("identity");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "leads_identity_index";`);
    this.addSql(`drop index "leads_visitor_id_index";`);
    this.addSql(`alter table "leads" drop column "visitor_id", drop column "identity",
      drop column "returning_from", drop column "returning_sql";`);
  }
}
