import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { MongoStore } from '../../server/store/mongo/mongo-store.js';
import { SseStream, type SseEvent } from '../helpers/sse.js';

/** The replica set to test against; unset means the MongoDB tests are skipped (see docs/mongodb.md). */
export const MONGODB_URI = process.env.MONGODB_URI || undefined;

export const SKIP_REASON = 'MONGODB_URI not set (needs a MongoDB replica set; see docs/mongodb.md)';

/** A database name no other run uses, so runs never see each other's data. */
export function freshDbName(prefix = 'parley_test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export function openStore(uri: string, dbName: string): Promise<MongoStore> {
  return MongoStore.connect(uri, {
    dbName,
    onFeedError: (err, what) => process.stderr.write(`# mongo feed (${dbName}): ${what}: ${String(err)}\n`),
  });
}

/**
 * The connection string with `dbName` as its database, for a server process (which takes its database from the URI).
 * Credentials in the URI authenticate against the database the URI names, so when it names none and gives no
 * authSource, authSource=admin keeps them pointing where they did.
 */
export function uriWithDb(uri: string, dbName: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/)([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/.exec(uri);
  if (!m) throw new Error('MONGODB_URI is not a mongodb:// connection string');
  const [, scheme, hosts, db, query] = m;
  const params = query ? query.split('&') : [];
  // (Not for mongodb+srv: its DNS TXT record may name the authSource, which an explicit one would override.)
  if (hosts!.includes('@') && scheme === 'mongodb://' && !params.some((p) => /^authSource=/i.test(p)))
    params.push(`authSource=${db || 'admin'}`);
  return `${scheme}${hosts}/${dbName}${params.length ? `?${params.join('&')}` : ''}`;
}

/** A short-lived connection for admin commands (hello, replSetStepDown). */
export async function withConnection<T>(uri: string, fn: (conn: mongoose.Connection) => Promise<T>): Promise<T> {
  const conn = await mongoose.createConnection(uri).asPromise();
  try {
    return await fn(conn);
  } finally {
    await conn.close().catch(() => {});
  }
}

/** Drops a test database. useDb switches database on the same client, so authentication stays as the URI says. */
export function dropDatabase(uri: string, dbName: string): Promise<void> {
  return withConnection(uri, async (conn) => {
    await conn.useDb(dbName, { useCache: false }).dropDatabase();
  });
}

/**
 * A subscriber that behaves like a browser's EventSource: when its stream ends (server restart, failover error), it
 * reconnects with Last-Event-ID, to the next of `bases` (so a client can move between instances). It records every
 * stored event it was sent, across connections, and every `reset` (which these tests expect never to see).
 */
export class ResilientStream {
  readonly events: SseEvent[] = [];
  readonly resets: SseEvent[] = [];
  reconnects = 0;
  private current: SseStream | null = null;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly bases: string[],
    private readonly path: string,
    private readonly token: string,
    lastEventId?: string,
  ) {
    this.loop = this.run(lastEventId);
  }

  private async run(lastEventId: string | undefined): Promise<void> {
    let i = 0;
    while (!this.stopped) {
      const base = this.bases[i++ % this.bases.length]!;
      const s = new SseStream(base + this.path, { token: this.token, lastEventId });
      this.current = s;
      let seen = 0;
      const collect = () => {
        for (const e of s.events.slice(seen)) {
          if (e.event === 'reset') this.resets.push(e);
          else if (e.id !== undefined) this.events.push(e);
        }
        seen = s.events.length;
      };
      try {
        await s.opened;
        while (!s.ended && !this.stopped) {
          await s.waitFor((ev) => ev.length > seen, 1000).catch(() => {});
          collect();
        }
      } catch {
        /* connection refused or reset: retry */
      }
      collect();
      lastEventId = this.lastId() ?? lastEventId;
      if (this.stopped) break;
      this.reconnects++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  lastId(): string | undefined {
    return this.events.at(-1)?.id;
  }

  seqs(): number[] {
    return this.events.map((e) => Number(e.id));
  }

  async waitForSeq(seq: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.seqs().some((s) => s >= seq)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for seq ${seq} (have up to ${this.lastId()})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.current?.close();
    await this.loop;
  }
}
