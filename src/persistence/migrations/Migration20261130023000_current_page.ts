import { Migration } from '@mikro-orm/migrations';

/** The page the visitor reported last (the widget's page views), for the agents' board. */
export class Migration20261130023000_current_page extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "leads" add column "current_page" varchar(2000) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "leads" drop column "current_page";`);
  }
}
