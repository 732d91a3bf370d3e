import { Migration } from '@mikro-orm/migrations';

/** The variant a client reported with a conversion (the earlier service's clients send one). */
export class Migration20261130015751_reported_variant extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "experiment_conversions" add column "reported_variant" varchar(64) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "experiment_conversions" drop column "reported_variant";`);
  }
}
