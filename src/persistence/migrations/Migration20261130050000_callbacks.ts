import { Migration } from '@mikro-orm/migrations';

/** After hours: the time a visitor asked to be called back, within the team's next opening. */
export class Migration20261130050000_callbacks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "leads" add column "callback_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "leads" drop column "callback_at";`);
  }
}
