import { Migration } from '@mikro-orm/migrations';

export class Migration20261125140232_erasure extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "leads" add column "erased_at" timestamptz null, add column "erased_by" varchar(200) null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "leads" drop column "erased_at", drop column "erased_by";`);
  }
}
