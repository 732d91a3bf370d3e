import { Migration } from '@mikro-orm/migrations';

export class Migration20261125135213_notifications extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "notifications" ("id" bigserial primary key, "lead_id" varchar(40) not null, "trigger" varchar(64) not null, "channel" varchar(16) not null, "status" varchar(16) not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "locked_until" timestamptz null, "last_error" text null, "note" text null, "created_at" timestamptz not null, "sent_at" timestamptz null);`,
    );
    this.addSql(
      `create index "notifications_status_next_attempt_at_index" on "notifications" ("status", "next_attempt_at");`,
    );
    this.addSql(
      `alter table "notifications" add constraint "notifications_lead_id_trigger_channel_unique" unique ("lead_id", "trigger", "channel");`,
    );

    this.addSql(
      `alter table "notifications" add constraint "notifications_lead_id_foreign" foreign key ("lead_id") references "leads" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "notifications" cascade;`);
  }
}
