import { loadConfig } from './src/config.js';
import { ormOptions } from './src/persistence/orm.js';

/**
 * For the MikroORM CLI against an external database (`DATABASE_URL`). The project's own
 * `npm run db:migrate` / `db:migration:create` also handle the embedded default.
 */
const config = loadConfig();
if (!config.database.url)
  throw new Error('Set DATABASE_URL to use the MikroORM CLI (or use npm run db:migrate).');
export default ormOptions(config.database.url, 1);
