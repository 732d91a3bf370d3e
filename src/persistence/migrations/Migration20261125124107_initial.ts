import { Migration } from '@mikro-orm/migrations';

export class Migration20261125124107_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "leads" ("id" varchar(40) not null, "name" varchar(200) null, "email" varchar(320) null, "phone" varchar(32) null, "business_type" varchar(200) null, "location" varchar(2000) null, "staff_size" varchar(200) null, "monthly_sales" varchar(200) null, "features_interested" jsonb not null default '[]', "utm_source" varchar(200) null, "locale" varchar(35) null, "score" int not null default 0, "classification" varchar(16) not null default 'Unqualified', "state" varchar(32) not null, "variants" jsonb not null default '{}', "question_order" jsonb not null, "snapshot" jsonb not null, "last_seq" int not null default 0, "version" int not null default 1, "human_help" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, "last_activity_at" timestamptz not null, "completed_at" timestamptz null, "qualified_at" timestamptz null, constraint "leads_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "leads_state_index" on "leads" ("state");`);
    this.addSql(`create index "leads_created_at_index" on "leads" ("created_at");`);
    this.addSql(
      `create index "leads_state_last_activity_at_index" on "leads" ("state", "last_activity_at");`,
    );
    this.addSql(
      `create index "leads_classification_created_at_index" on "leads" ("classification", "created_at");`,
    );

    this.addSql(
      `create table "answers" ("id" bigserial primary key, "lead_id" varchar(40) not null, "question_id" int not null, "question_text" text not null, "answer" text not null, "option_ids" jsonb not null default '[]', "latency_ms" int not null, "client_time_taken" double precision null, "points" int not null default 0, "answered_at" timestamptz not null, "updated_at" timestamptz not null);`,
    );
    this.addSql(
      `alter table "answers" add constraint "answers_lead_id_question_id_unique" unique ("lead_id", "question_id");`,
    );

    this.addSql(
      `create table "score_entries" ("id" bigserial primary key, "lead_id" varchar(40) not null, "behavior" varchar(64) not null, "points" int not null, "once_key" varchar(200) not null, "evidence" jsonb not null default '{}', "event_seq" int not null, "at" timestamptz not null);`,
    );
    this.addSql(
      `alter table "score_entries" add constraint "score_entries_lead_id_once_key_unique" unique ("lead_id", "once_key");`,
    );

    this.addSql(
      `create table "session_events" ("id" bigserial primary key, "lead_id" varchar(40) not null, "seq" int not null, "type" varchar(64) not null, "at" timestamptz not null, "data" jsonb not null, "client_message_id" varchar(100) null, "result" jsonb null);`,
    );
    this.addSql(
      `alter table "session_events" add constraint "session_events_lead_id_seq_unique" unique ("lead_id", "seq");`,
    );
    this.addSql(
      `alter table "session_events" add constraint "session_events_lead_id_client_message_id_unique" unique ("lead_id", "client_message_id");`,
    );

    this.addSql(
      `alter table "answers" add constraint "answers_lead_id_foreign" foreign key ("lead_id") references "leads" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "score_entries" add constraint "score_entries_lead_id_foreign" foreign key ("lead_id") references "leads" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "session_events" add constraint "session_events_lead_id_foreign" foreign key ("lead_id") references "leads" ("id") on update cascade on delete cascade;`,
    );
  }
}
