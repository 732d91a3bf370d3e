import { Migration } from '@mikro-orm/migrations';

export class Migration20261125135833_conversions extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "experiment_conversions" ("id" bigserial primary key, "lead_id" varchar(40) not null, "test_name" varchar(64) not null, "variant" varchar(64) not null, "conversion_type" varchar(64) not null, "value" double precision null, "at" timestamptz not null);`,
    );
    this.addSql(
      `create index "experiment_conversions_test_name_variant_index" on "experiment_conversions" ("test_name", "variant");`,
    );
    this.addSql(
      `alter table "experiment_conversions" add constraint "experiment_conversions_lead_id_test_name_conversion_type_unique" unique ("lead_id", "test_name", "conversion_type");`,
    );

    this.addSql(
      `alter table "experiment_conversions" add constraint "experiment_conversions_lead_id_foreign" foreign key ("lead_id") references "leads" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "experiment_conversions" cascade;`);
  }
}
