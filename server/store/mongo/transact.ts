import { mongo, type ClientSession, type Connection, type Model } from 'mongoose';
import { storeErrors } from '../errors.js';
import { nowIso } from '../../ids.js';
import type { PublicUser, RoomEvent, RoomEventType } from '../store.js';
import { plain } from './mappers.js';
import type { EventDoc, RoomDoc } from './models.js';

/**
 * The transaction engine: every write that appends to a room's log runs through Transactor.run(), which gives the
 * callback a session and `append`, and retries the whole callback when MongoDB says the attempt may simply be run
 * again.
 *
 * Transactions use snapshot reads, a majority-acknowledged commit and the primary. A commit acknowledged by a
 * majority survives any failover, so a POST never answers 201 for an event that is later rolled back; and the
 * change stream (which only returns majority-committed changes) sees it.
 */
export const TXN_OPTIONS: mongo.TransactionOptions = {
  readPreference: 'primary',
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
};

/** Appends one event to a room's log inside the current transaction and returns it. The payload function may write
 * inside the transaction once the seq is known (postMessage claims its uploads). */
export type Append = (
  roomId: string,
  type: RoomEventType,
  actor: PublicUser | null,
  payload:
    Record<string, unknown> | ((seq: number, at: string) => Record<string, unknown> | Promise<Record<string, unknown>>),
) => Promise<RoomEvent>;

/** What one attempt runs: every read and write with `session`; the result counts once the attempt commits. */
export type TxnBody<T> = (session: ClientSession) => Promise<T>;

/** Runs one attempt of a transaction: start, run the body, commit. Aborts and rethrows when the body throws. */
export type AttemptRunner = <T>(body: TxnBody<T>) => Promise<T>;

export interface RetryPolicy {
  /** No retry starts once this long has passed since the first attempt began (ms). */
  budgetMs: number;
  /** The pause before retry n (1, 2, ...) is random in [0, min(baseDelayMs * 2^n, maxDelayMs)). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1). */
  random(): number;
}

/**
 * The default policy. The pause spreads out writers contending for one hot room (each conflict costs an attempt);
 * the budget bounds how long a request can be held by conflicts or an election before it fails (the driver's own
 * withTransaction would go on for 120 s). Each operation inside is bounded by the client's timeoutMS as well.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { budgetMs: 15_000, baseDelayMs: 5, maxDelayMs: 100 };

export const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** The whole transaction may be run again: a write conflict, an election, a network error inside it. */
export function isTransient(err: unknown): boolean {
  return err instanceof mongo.MongoError && err.hasErrorLabel(mongo.MongoErrorLabel.TransientTransactionError);
}

/** The commit's outcome is unknown (it may have committed): committing again is safe and tells. */
function isUnknownCommitResult(err: unknown): boolean {
  if (!(err instanceof mongo.MongoError)) return false;
  // A commit that ran out of time on the server (MaxTimeMSExpired, 50) is not retried: it would run out again.
  const expired = err.code === 50 || (err as { writeConcernError?: { code?: number } }).writeConcernError?.code === 50;
  return !expired && err.hasErrorLabel(mongo.MongoErrorLabel.UnknownTransactionCommitResult);
}

/** The pause before retry `attempt` (1 for the first retry). */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  return random() * Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
}

/**
 * Runs `body` through `run` until an attempt commits. A transient error retries the whole body after a pause (so the
 * body recomputes everything from what it reads); any other error (a StoreError such as ROOM_NOT_FOUND, a duplicate
 * key) is rethrown at once: the attempt was aborted, nothing was written. Once the budget is spent, the last
 * transient error is rethrown.
 */
export async function retryTransaction<T>(
  run: AttemptRunner,
  body: TxnBody<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  clock: RetryClock = systemClock,
): Promise<T> {
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(body);
    } catch (err) {
      if (!isTransient(err)) throw err;
      const pause = backoffMs(attempt, policy, clock.random);
      if (clock.now() + pause - started >= policy.budgetMs) throw err;
      await clock.sleep(pause);
    }
  }
}

/**
 * One attempt on a driver session, as the driver's own withTransaction does it: start, run, commit; abort when the
 * body throws. A commit whose outcome is unknown (the connection dropped, the primary stepped down) is committed
 * again until `expired()` (the server answers from its record of the transaction); a transient commit error is left
 * to retryTransaction, which runs the whole body again.
 */
export function sessionAttempts(session: ClientSession, expired: () => boolean, options = TXN_OPTIONS): AttemptRunner {
  return async <T>(body: TxnBody<T>): Promise<T> => {
    session.startTransaction(options);
    let result: T;
    try {
      result = await body(session);
    } catch (err) {
      if (session.inTransaction()) await session.abortTransaction().catch(() => {});
      throw err;
    }
    for (;;) {
      try {
        await session.commitTransaction();
        return result;
      } catch (err) {
        if (isUnknownCommitResult(err) && !expired()) continue;
        throw err;
      }
    }
  };
}

export type AppendModels = { rooms: Model<RoomDoc>; events: Model<EventDoc> };

/**
 * The append protocol. The room's lastSeq is incremented with findOneAndUpdate inside the transaction; that write
 * takes the room document's write lock until commit, so a concurrent append to the same room hits a WriteConflict
 * (a TransientTransactionError), aborts and is retried against the newer snapshot. Seqs are therefore handed out in
 * commit order, with no gap (an aborted attempt leaves nothing) and no reuse (the unique (roomId, seq) index is a
 * second guard). A deleted room takes no more events.
 */
export function appender(m: AppendModels, session: ClientSession): Append {
  return async (roomId, type, actor, payload) => {
    const room = await m.rooms
      .findOneAndUpdate(
        { _id: roomId, deletedAt: null },
        { $inc: { lastSeq: 1 } },
        { session, new: true, projection: { lastSeq: 1 } },
      )
      .lean<Pick<RoomDoc, 'lastSeq'>>()
      .exec();
    if (!room) throw storeErrors.roomNotFound();
    const at = nowIso();
    const body = typeof payload === 'function' ? await payload(room.lastSeq, at) : payload;
    const event: RoomEvent = { roomId, seq: room.lastSeq, type, actor: plain(actor), at, payload: plain(body) };
    await m.events.create([{ ...event, at: new Date(at) }], { session });
    return event;
  };
}

/** Runs store writes as transactions on one connection (see the module comment). */
export class Transactor {
  constructor(
    private readonly conn: Connection,
    private readonly models: AppendModels,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly clock: RetryClock = systemClock,
  ) {}

  /** Runs `fn` in one transaction, retried as a whole on transient errors; a StoreError it throws writes nothing. */
  async run<T>(fn: (session: ClientSession, append: Append) => Promise<T>): Promise<T> {
    const session = await this.conn.startSession();
    const started = this.clock.now();
    const expired = () => this.clock.now() - started >= this.policy.budgetMs;
    try {
      const body: TxnBody<T> = (s) => fn(s, appender(this.models, s));
      return await retryTransaction(sessionAttempts(session, expired), body, this.policy, this.clock);
    } finally {
      await session.endSession().catch(() => {});
    }
  }
}
