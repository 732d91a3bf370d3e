import { Migration } from '@mikro-orm/migrations';

/**
 * The score's two parts beside it: fit (answer values) and engagement (every other behaviour), worked
 * out from the ledger for the leads there already are.
 */
export class Migration20261130040000_fit_engagement extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "leads" add column "fit_score" int not null default 0;`);
    this.addSql(`alter table "leads" add column "engagement_score" int not null default 0;`);
    this.addSql(
      `update "leads" l set
         "fit_score" = coalesce((select sum(points) from "score_entries" s
                                  where s.lead_id = l.id and s.behavior = 'answer_value'), 0),
         "engagement_score" = l.score - coalesce((select sum(points) from "score_entries" s
                                  where s.lead_id = l.id and s.behavior = 'answer_value'), 0);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "leads" drop column "fit_score";`);
    this.addSql(`alter table "leads" drop column "engagement_score";`);
  }
}
