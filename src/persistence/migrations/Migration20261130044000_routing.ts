import { Migration } from '@mikro-orm/migrations';

/**
 * Routing: when a lead reached the routing trigger, the team and agent that own it, the agents that
 * had it, its escalation, when an agent marked it contacted, and when its first response was overdue.
 */
export class Migration20261130044000_routing extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "leads"
      add column "routed_at" timestamptz null,
      add column "assigned_team" varchar(100) null,
      add column "assigned_to" varchar(200) null,
      add column "assigned_name" varchar(200) null,
      add column "assigned_at" timestamptz null,
      add column "routing_tried" jsonb not null default '[]',
      add column "escalated_at" timestamptz null,
      add column "contacted_at" timestamptz null,
      add column "sla_breached_at" timestamptz null;`);
    this.addSql(`create index "leads_assigned_to_index" on "leads" ("assigned_to");`);
    this.addSql(`create index "leads_routed_at_index" on "leads" ("routed_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "leads_routed_at_index";`);
    this.addSql(`drop index "leads_assigned_to_index";`);
    this.addSql(`alter table "leads"
      drop column "routed_at", drop column "assigned_team", drop column "assigned_to",
      drop column "assigned_name", drop column "assigned_at", drop column "routing_tried",
      drop column "escalated_at", drop column "contacted_at", drop column "sla_breached_at";`);
  }
}
