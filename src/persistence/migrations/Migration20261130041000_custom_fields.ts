import { Migration } from '@mikro-orm/migrations';

/** The answers to a workflow's custom-field questions, by field name, typed (`custom_fields`). */
export class Migration20261130041000_custom_fields extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "leads" add column "custom_fields" jsonb not null default '{}';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "leads" drop column "custom_fields";`);
  }
}
