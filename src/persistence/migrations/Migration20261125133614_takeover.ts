import { Migration } from '@mikro-orm/migrations';

export class Migration20261125133614_takeover extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "leads" add column "taken_over_by" varchar(200) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "leads" drop column "taken_over_by";`);
  }
}
