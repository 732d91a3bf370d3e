import { Migration } from '@mikro-orm/migrations';

/** Leads erased before erasure closed them: closed now, their snapshots dropped, their versions moved on. */
export class Migration20261130013000_erased_closed extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `update "leads" set "state" = 'erased', "snapshot" = 'null', "taken_over_by" = null, "version" = "version" + 1 where "erased_at" is not null and "state" <> 'erased';`,
    );
  }

  override async down(): Promise<void> {
    // Nothing to undo: the states the erased leads were in are gone with their data.
  }
}
