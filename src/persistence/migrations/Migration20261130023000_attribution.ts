import { Migration } from '@mikro-orm/migrations';

/**
 * Attribution: the first touch's medium and campaign beside its source (columns, to filter and group
 * by), and the first and last touch in full (jsonb: every field as the visitor's page sent it).
 */
export class Migration20261130023000_attribution extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "leads" add column "utm_medium" varchar(200) null, add column "utm_campaign" varchar(200) null,
         add column "first_touch" jsonb null, add column "last_touch" jsonb null,
         add column "last_touch_at" timestamptz null;`,
    );
    // Leads from before keep the source they had as their first touch.
    this.addSql(
      `update "leads" set "first_touch" = jsonb_build_object('utm_source', "utm_source") where "utm_source" is not null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "leads" drop column "utm_medium", drop column "utm_campaign", drop column "first_touch",
         drop column "last_touch", drop column "last_touch_at";`,
    );
  }
}
