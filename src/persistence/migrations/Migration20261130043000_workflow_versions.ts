import { Migration } from '@mikro-orm/migrations';

/**
 * Workflow versions: every workflow a node ran, stored by its checksum, and the version each session
 * started with. Sessions from before get the version of the workflow the server runs at its first
 * start after this migration (src/workflow/registry.ts adopts them), so they are left null here.
 */
export class Migration20261130043000_workflow_versions extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "workflows" ("version" varchar(64) not null, "name" varchar(200) not null,
         "definition" jsonb not null, "created_at" timestamptz not null,
         constraint "workflows_pkey" primary key ("version"));`,
    );
    // A stored version is never deleted while a session names it.
    this.addSql(
      `alter table "leads" add column "workflow_version" varchar(64) null,
         add constraint "leads_workflow_version_foreign" foreign key ("workflow_version")
         references "workflows" ("version") on update restrict on delete restrict;`,
    );
    this.addSql(`create index "leads_workflow_version_index" on "leads" ("workflow_version");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "leads" drop column "workflow_version";`);
    this.addSql(`drop table "workflows";`);
  }
}
