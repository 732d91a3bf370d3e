import { Migration } from '@mikro-orm/migrations';

/**
 * The WhatsApp door: the door each lead came in by (`leads.channel`); the inbox of webhook messages,
 * stored before the webhook is answered and processed after (one row per message id, so Meta's retries
 * add nothing); which session each WhatsApp user (`wa_id`) talks to; the messages sent to them (by the
 * session event they carry, with the id the Graph API gave) and the delivery statuses reported back.
 */
export class Migration20261130061000_whatsapp extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "leads" add column "channel" varchar(16) not null default 'web';`);
    this.addSql(`create table "whatsapp_inbox" (
      "id" bigserial primary key,
      "message_id" varchar(128) not null,
      "wa_id" varchar(32) not null,
      "type" varchar(32) not null,
      "message" jsonb not null,
      "profile_name" varchar(200) null,
      "sent_at" timestamptz not null,
      "received_at" timestamptz not null default now(),
      "attempts" int not null default 0,
      "next_attempt_at" timestamptz not null default now(),
      "locked_until" timestamptz null,
      "last_error" text null,
      "processed_at" timestamptz null,
      "session_id" varchar(40) null,
      "outcome" varchar(64) null,
      constraint "whatsapp_inbox_message_id_unique" unique ("message_id"));`);
    this.addSql(`create index "whatsapp_inbox_pending_index" on "whatsapp_inbox" ("wa_id", "id")
      where "processed_at" is null;`);
    this.addSql(`create table "whatsapp_contacts" (
      "wa_id" varchar(32) primary key,
      "session_id" varchar(40) not null,
      "linked_at" timestamptz not null default now());`);
    this.addSql(`create index "whatsapp_contacts_session_id_index" on "whatsapp_contacts" ("session_id");`);
    this.addSql(`create table "whatsapp_messages" (
      "id" bigserial primary key,
      "lead_id" varchar(40) not null,
      "ref" varchar(64) not null,
      "wa_id" varchar(32) not null,
      "kind" varchar(16) not null,
      "wamid" varchar(128) not null,
      "sent_at" timestamptz not null,
      constraint "whatsapp_messages_lead_id_foreign" foreign key ("lead_id") references "leads" ("id")
        on update cascade on delete cascade,
      constraint "whatsapp_messages_wamid_unique" unique ("wamid"),
      constraint "whatsapp_messages_lead_id_ref_unique" unique ("lead_id", "ref"));`);
    this.addSql(`create table "whatsapp_statuses" (
      "wamid" varchar(128) not null,
      "status" varchar(16) not null,
      "at" timestamptz not null,
      "error" text null,
      primary key ("wamid", "status"));`);
  }

  override async down(): Promise<void> {
    this.addSql(
      'drop table "whatsapp_statuses", "whatsapp_messages", "whatsapp_contacts", "whatsapp_inbox";',
    );
    this.addSql(`alter table "leads" drop column "channel";`);
  }
}
