import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { WorkflowError } from './workflow/load.js';

/** Starts the server and stops it cleanly on SIGTERM / SIGINT. */
async function main(): Promise<void> {
  const app = await createApp(loadConfig());
  // A stray rejection (a Redis command that failed during an outage, say) is logged, not fatal:
  // every acknowledged event is already committed, and the server must ride out the outage.
  process.on('unhandledRejection', (err) => app.logger.error({ err }, 'unhandled rejection'));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof WorkflowError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
