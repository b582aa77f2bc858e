import mongoose, { type Connection } from 'mongoose';
import type { ChangeWatcher } from './change-watcher.js';
import type { Models } from './models.js';
import type { MongoPresenceBoard } from './presence.js';

export interface MongoStoreOptions {
  /** Database to use instead of the one named in the URI (tests use a fresh one per run). */
  dbName?: string;
  /** Change-stream failures and listener errors; the default writes one line to stderr. */
  onFeedError?: (err: unknown, what: string) => void;
  /** How long an instance's presence outlives its last heartbeat (PRESENCE_TTL_MS); default 30 s. */
  presenceTtlMs?: number;
}

export type Reporter = (err: unknown, what: string) => void;

export function reporterOf(opts: MongoStoreOptions): Reporter {
  return (
    opts.onFeedError ??
    ((err, what) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`parley: mongo: ${what}: ${message}\n`);
    })
  );
}

export function presenceTtlOf(opts: MongoStoreOptions): number {
  return Math.min(Math.max(opts.presenceTtlMs ?? 30_000, 3000), 300_000);
}

/** The connection options (mongoose's and the driver's) every instance uses. */
export function connectionOptions(opts: MongoStoreOptions): mongoose.ConnectOptions {
  return {
    // mongoose selects this database on the client; authentication stays as the URI says.
    ...(opts.dbName ? { dbName: opts.dbName } : {}),
    // Collections and indexes are made explicitly (prepareSchema), once, before serving (not lazily per model).
    autoIndex: false,
    autoCreate: false,
    // No mongoose-level queue while disconnected: the driver itself waits for a primary (serverSelectionTimeoutMS,
    // enough to ride out an election) and then fails the operation, which the client sees as a 5xx to retry.
    bufferCommands: false,
    // Writes outside transactions (users, tokens) are majority-acknowledged too, so they survive a failover.
    writeConcern: { w: 'majority' },
    retryWrites: true,
    retryReads: true,
  };
}

/** Connects and checks that the server is a replica set (or a sharded cluster); closes again if it is not. */
export async function openConnection(uri: string, opts: MongoStoreOptions): Promise<Connection> {
  const conn = mongoose.createConnection(uri, connectionOptions(opts));
  try {
    await conn.asPromise();
    const hello = await conn.db!.admin().command({ hello: 1 });
    if (!hello.setName && hello.msg !== 'isdbgrid') {
      throw new Error(
        'MongoDB is a standalone server; Parley needs a replica set (transactions and change streams). ' +
          'See docs/mongodb.md',
      );
    }
    return conn;
  } catch (err) {
    await conn.close().catch(() => {});
    throw err;
  }
}

/** Creates every collection (a transaction must not be the first writer of a collection) and every index. */
export async function prepareSchema(models: Models): Promise<void> {
  for (const model of Object.values(models)) {
    await model.createCollection(); // ignores "already exists"
    await model.createIndexes(); // createIndex is a no-op for an index that already exists as specified
  }
}

/**
 * Makes the store ready to serve: the schema first (transactions cannot create collections or indexes), then the
 * change stream, established before the first request so that every commit after it reaches the hub, then presence
 * (its first heartbeat sweeps what crashed instances left behind).
 */
export async function startStore(models: Models, watcher: ChangeWatcher, presence: MongoPresenceBoard): Promise<void> {
  await prepareSchema(models);
  await watcher.start();
  await presence.start();
}
