import mongoose, { mongo, type Connection } from 'mongoose';
import type { ChangeWatcher } from './change-watcher.js';
import { BLOB_COLLECTIONS } from './gridfs-blobs.js';
import type { Models } from './models.js';
import type { MongoPresenceBoard } from './presence.js';

export interface MongoStoreOptions {
  /** Database to use instead of the one named in the URI (tests use a fresh one per run). */
  dbName?: string;
  /** Change-stream failures and listener errors; the default writes one line to stderr. */
  onFeedError?: (err: unknown, what: string) => void;
  /** How long an instance's presence outlives its last heartbeat (PRESENCE_TTL_MS); default 30 s. */
  presenceTtlMs?: number;
  /** The driver's timeoutMS for each operation, unless the URI sets timeoutMS; default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * How long one operation may take, server selection and the driver's retries included, before it fails (and the
 * request with it, as a 5xx the client may retry). Long enough to ride out an election (about 10 s after a crash),
 * short enough that a slow or unreachable primary does not hold requests for minutes.
 */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Whether the connection string sets this option itself (option names are case-insensitive). */
function uriSets(uri: string, option: string): boolean {
  const query = uri.split('?')[1] ?? '';
  return query.split('&').some((p) => p.split('=')[0]!.toLowerCase() === option.toLowerCase());
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

/** The connection options (mongoose's and the driver's) every instance uses; they win over the URI's. */
export function connectionOptions(uri: string, opts: MongoStoreOptions): mongoose.ConnectOptions {
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
    // Reads see only what a majority has, like the change stream: the log, the room head that positions a new
    // stream and history pages never show a write that a failover later rolls back (its seq would then be reused by
    // another event, which the stream would skip as already sent). A POST answers only after a majority commit, so
    // a client still reads its own writes. Transactions read at "snapshot" (TXN_OPTIONS).
    readConcernLevel: 'majority',
    // And from the primary, whatever the URI asks: a lagging secondary's head would make valid resume positions
    // look like the future and stall gap fills.
    readPreference: 'primary',
    ...(uriSets(uri, 'timeoutMS') ? {} : { timeoutMS: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS }),
    retryWrites: true,
    retryReads: true,
  };
}

/** Connects and checks that the server is a replica set (or a sharded cluster); closes again if it is not. */
export async function openConnection(uri: string, opts: MongoStoreOptions): Promise<Connection> {
  const conn = mongoose.createConnection(uri, connectionOptions(uri, opts));
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

/**
 * Creates every collection (a transaction must not be the first writer of a collection) and every index, the GridFS
 * bucket's included. Idempotent: it runs at start-up and again whenever one of these collections is dropped, since
 * a collection that a later write recreates has none of its unique or TTL indexes.
 */
export async function prepareSchema(db: mongo.Db, models: Models): Promise<void> {
  for (const model of Object.values(models)) {
    await model.createCollection(); // ignores "already exists"
    await model.createIndexes(); // createIndex is a no-op for an index that already exists as specified
  }
  for (const spec of Object.values(BLOB_COLLECTIONS)) {
    await db.createCollection(spec.name).catch((err: unknown) => {
      if (!(err instanceof mongo.MongoServerError && err.code === 48)) throw err; // 48: NamespaceExists
    });
    // As the driver makes them on a first upload (same keys and options, so either one is a no-op after the other).
    await db.collection(spec.name).createIndex(spec.index, 'unique' in spec ? { unique: spec.unique } : {});
  }
}

/**
 * Runs prepareSchema again when asked (a collection was dropped), one run at a time: requests that come in during
 * a run make one more run after it. Failures are reported; the next drop, or a restart, tries again.
 */
export class SchemaRepair {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly db: mongo.Db,
    private readonly models: Models,
    private readonly report: Reporter,
  ) {}

  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await prepareSchema(this.db, this.models);
        } catch (err) {
          this.report(err, 'recreating collections and indexes failed');
        }
      } while (this.again);
    })().finally(() => (this.running = null));
  }

  /** Resolves once no run is going (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}

/**
 * Makes the store ready to serve: the schema first (transactions cannot create collections or indexes), then the
 * change stream, established before the first request so that every commit after it reaches the hub, then presence
 * (its first heartbeat sweeps what crashed instances left behind).
 */
export async function startStore(
  db: mongo.Db,
  models: Models,
  watcher: ChangeWatcher,
  presence: MongoPresenceBoard,
): Promise<void> {
  await prepareSchema(db, models);
  await watcher.start();
  await presence.start();
}
