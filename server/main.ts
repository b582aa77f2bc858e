import path from 'node:path';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import type { Store } from './store/store.js';

/** Store problems outside any request (the change stream) go to the same JSON log as everything else. */
const storeLog =
  (level: 'warn' | 'error') =>
  (err: unknown, what = 'store feed error') =>
    process.stderr.write(
      JSON.stringify({
        level,
        time: Date.now(),
        msg: what,
        err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err),
      }) + '\n',
    );

async function openStore(config: Config): Promise<Store> {
  if (config.mongodbUri) {
    // Loaded only in mongo mode, so the embedded default never pays for the driver.
    const { MongoStore } = await import('./store/mongo/mongo-store.js');
    return MongoStore.connect(config.mongodbUri, {
      onFeedError: storeLog('warn'),
      presenceTtlMs: config.presenceTtlMs,
    });
  }
  return new SqliteStore({
    file: path.join(config.dataDir, 'parley.db'),
    synchronous: config.sqliteSynchronous,
    onFeedError: storeLog('error'),
  });
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`parley: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const store = await openStore(config);
  const app = await buildApp({ config, store, closeStore: true });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    try {
      await app.close(); // stops accepting, ends streams (preClose), waits for in-flight requests, closes the store
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await app.listen({ port: config.port, host: config.host, backlog: config.listenBacklog });
  app.log.info({ store: store.kind, dataDir: store.kind === 'sqlite' ? config.dataDir : undefined }, 'Parley is ready');
}

main().catch((err) => {
  process.stderr.write(`parley: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
