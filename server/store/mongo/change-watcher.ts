import { mongo } from 'mongoose';
import type { RoomEvent } from '../store.js';
import {
  EVENTS_COLLECTION,
  PRESENCE_COLLECTION,
  SIGNALS_COLLECTION,
  type EventDoc,
  type PresenceDoc,
  type SignalDoc,
} from './models.js';

type ResumeToken = mongo.ResumeToken;
type Change = mongo.ChangeStreamDocument<mongo.Document>;

/** What the store does with the changes that cross instances. */
export interface ChangeHandlers {
  /** A room event committed by any instance. */
  event(doc: EventDoc): void;
  /** A signal published by any instance. */
  signal(doc: SignalDoc): void;
  /** A presence document was inserted or deleted (by an instance, its sweep, or the TTL monitor). */
  presence(id: string): void;
  /** Changes may have been missed: re-read what matters from the collections. */
  reset(): void;
  /** One of the store's collections (or the database) was dropped or renamed: make collections and indexes again. */
  schema(): void;
  /** Whether the stream is open (GET /api/health shows it as `feed`). */
  live(value: boolean): void;
}

/**
 * The one filter, run by the server: room events, signals and presence arrivals are inserts; presence departures are
 * deletes (a departing instance, a sweep of a dead one, or the TTL monitor). Dropping or renaming one of the store's
 * collections, or the database, comes through too: the schema must be made again, and for the log its position is
 * lost. Updates (heartbeats) do not.
 */
function pipeline(collections: readonly string[]): mongo.Document[] {
  return [
    {
      $match: {
        $or: [
          { operationType: 'insert', 'ns.coll': { $in: [EVENTS_COLLECTION, SIGNALS_COLLECTION, PRESENCE_COLLECTION] } },
          { operationType: 'delete', 'ns.coll': PRESENCE_COLLECTION },
          {
            operationType: { $in: ['drop', 'rename'] },
            'ns.coll': { $in: [...new Set([EVENTS_COLLECTION, ...collections])] },
          },
          { operationType: { $in: ['dropDatabase', 'invalidate'] } },
        ],
      },
    },
  ];
}

/**
 * A typing notice older than this when it arrives is dropped: after the stream was down (an election, a network
 * blip) it resumes from its token and brings every signal written meanwhile, and a notice that is minutes old would
 * show someone typing who stopped long ago. (Clients show a notice for 5 s.) Receipt signals carry watermarks, which
 * only grow, so a late one is still true and is delivered.
 */
export const TYPING_MAX_AGE_MS = 5000;

export interface WatcherOptions {
  /** The store's collections, whose drop or rename calls schema(). */
  collections?: readonly string[];
  /** The database server's time (ms), to judge a change's age by its wallTime; defaults to this machine's clock. */
  serverNow?: () => number;
  /** How long one getMore waits for changes (ms). */
  maxAwaitTimeMS?: number;
}

/**
 * Server error codes meaning "this stream cannot continue from the saved position": the resume point has left the
 * oplog (ChangeStreamHistoryLost, 286), the token is not one this stream can use (ChangeStreamFatalError, 280;
 * InvalidResumeToken, 260). Events may have been missed, so subscribers get reset instead of a silent gap.
 */
const POSITION_LOST_CODES = new Set([260, 280, 286]);
const POSITION_LOST_NAMES = new Set(['InvalidResumeToken', 'ChangeStreamFatalError', 'ChangeStreamHistoryLost']);

export function isPositionLost(err: unknown): boolean {
  if (!(err instanceof mongo.MongoServerError)) return false;
  return (
    (typeof err.code === 'number' && POSITION_LOST_CODES.has(err.code)) || POSITION_LOST_NAMES.has(err.codeName ?? '')
  );
}

export function toRoomEvent(doc: EventDoc): RoomEvent {
  const { roomId, seq, type, payload } = doc;
  return { roomId, seq, type, actor: doc.actor ?? null, at: doc.at.toISOString(), payload };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * ONE change stream per process, on the store's database, filtered by the server to the three collections whose
 * changes must reach every instance (PIPELINE): the room log, signals and presence. One stream rather than one per
 * collection: a single resume token, a single cursor to keep alive, and the log, signals and presence arrive in one
 * oplog order. Every event committed by any instance arrives here once, in commit order (so seq order within a room).
 *
 * - The driver itself resumes once on a resumable error (network error, election, "not primary") with the latest
 *   resume token. If that fails too, this loop reopens the stream from the saved token with backoff; meanwhile
 *   `live` is false (GET /api/health shows it).
 * - If the saved position is gone (ChangeStreamHistoryLost and friends), or the stream is invalidated (the database
 *   was dropped), the stream is reopened from "now" and then `reset()` makes the hub re-read every subscriber's rooms
 *   from the store: a reset, never a silent gap. A dropped or renamed events collection is reset the same way.
 * - Iterator mode with tryNext(): the first call runs the aggregate that opens the stream, so start() resolves only
 *   once the server has fixed the stream's starting point; every event committed after that is delivered. Each call
 *   is one awaitData getMore (at most maxAwaitTimeMS), and the driver advances `resumeToken` to the
 *   postBatchResumeToken even when nothing arrives, so an idle stream keeps a fresh position in the oplog.
 */
export class ChangeWatcher {
  private stream: mongo.ChangeStream<mongo.Document, Change> | null = null;
  /** resumeAfter: the position after the last change handled. */
  private token: ResumeToken | null = null;
  /** startAfter: set after an invalidate event (resumeAfter cannot pass an invalidate; startAfter can). */
  private startAfter: ResumeToken | null = null;
  private resetDue = false;
  private closed = false;
  private loop: Promise<void> | null = null;

  private readonly report: (err: unknown, what: string) => void;
  private readonly pipeline: mongo.Document[];
  private readonly serverNow: () => number;
  private readonly maxAwaitTimeMS: number;

  constructor(
    private readonly db: mongo.Db,
    private readonly on: ChangeHandlers,
    report: (err: unknown, what: string) => void,
    options: WatcherOptions = {},
  ) {
    this.pipeline = pipeline(options.collections ?? []);
    this.serverNow = options.serverNow ?? Date.now;
    this.maxAwaitTimeMS = options.maxAwaitTimeMS ?? 1000;
    // The loop runs on its own; nothing it calls may reject it (an unhandled rejection ends the process).
    this.report = (err, what) => {
      try {
        report(err, what);
      } catch {
        /* a failing reporter must not stop the stream */
      }
    };
    on.live(false);
  }

  /** Opens the stream and waits until the server has established it; throws if it cannot (e.g. not a replica set). */
  async start(): Promise<void> {
    const stream = this.open();
    let first: Change | null;
    try {
      first = await stream.tryNext();
    } catch (err) {
      await stream.close().catch(() => {});
      throw err;
    }
    this.on.live(true);
    this.loop = this.run(stream, first).catch((err) => this.report(err, 'change stream loop ended'));
  }

  async close(): Promise<void> {
    this.closed = true;
    // Closing the stream makes a pending tryNext() reject; the loop sees `closed` and ends.
    await this.stream?.close().catch(() => {});
    await this.loop;
    this.on.live(false);
  }

  private open(): mongo.ChangeStream<mongo.Document, Change> {
    const options: mongo.ChangeStreamOptions = { maxAwaitTimeMS: this.maxAwaitTimeMS };
    if (this.startAfter) options.startAfter = this.startAfter;
    else if (this.token) options.resumeAfter = this.token;
    const stream = this.db.watch<mongo.Document, Change>(this.pipeline, options);
    this.stream = stream;
    return stream;
  }

  /**
   * dispatch(), but a change its handler cannot take (a malformed document written by something else) is reported
   * and passed over; otherwise the stream would reopen before it and fail on it forever.
   */
  private dispatchSafely(change: Change): boolean {
    try {
      return this.dispatch(change);
    } catch (err) {
      this.report(err, `a change the store cannot handle was skipped (${change.operationType})`);
      return true;
    }
  }

  /** Hands one change to its handler. Returns false when the stream cannot go on (invalidated). */
  private dispatch(change: Change): boolean {
    switch (change.operationType) {
      case 'insert': {
        const coll = change.ns.coll;
        if (coll === EVENTS_COLLECTION) this.on.event(change.fullDocument as EventDoc);
        else if (coll === SIGNALS_COLLECTION) this.signal(change.fullDocument as SignalDoc, change.wallTime);
        else if (coll === PRESENCE_COLLECTION) this.on.presence((change.fullDocument as PresenceDoc)._id);
        return true;
      }
      case 'delete':
        if (change.ns.coll === PRESENCE_COLLECTION && typeof change.documentKey._id === 'string')
          this.on.presence(change.documentKey._id);
        return true;
      case 'drop':
      case 'rename':
      case 'dropDatabase': {
        // A collection went away under us (an operator's mistake, or a restore). Writes would recreate it without
        // its unique and TTL indexes, so the schema is made again. If it was the log, the stream goes on: what the
        // store now holds is the truth, so subscribers re-read it.
        const coll = 'coll' in change.ns ? change.ns.coll : undefined;
        const what = `the ${change.operationType} of ${change.ns.db}${coll ? `.${coll}` : ''}`;
        const log = coll === undefined || coll === EVENTS_COLLECTION;
        this.report(new Error(what), log ? 'the log changed; subscribers will re-read it' : 'recreating the schema');
        this.on.schema();
        if (log) this.on.reset();
        return true;
      }
      case 'invalidate':
        this.startAfter = change._id;
        this.token = null;
        this.resetDue = true;
        this.report(new Error('the change stream was invalidated (database dropped)'), 'change stream invalidated');
        return false;
      default:
        return true;
    }
  }

  /** A signal, unless it is a typing notice that arrives too late to mean anything (TYPING_MAX_AGE_MS). */
  private signal(doc: SignalDoc, wallTime: Date | undefined): void {
    // wallTime is the server's clock at the insert (MongoDB 6.0+); before that, the publishing instance's clock.
    const written = wallTime ?? doc.at;
    const age = written instanceof Date ? this.serverNow() - written.getTime() : 0;
    if (doc.type === 'typing' && age > TYPING_MAX_AGE_MS) return;
    this.on.signal(doc);
  }

  private async run(established: mongo.ChangeStream<mongo.Document, Change>, first: Change | null): Promise<void> {
    let stream: mongo.ChangeStream<mongo.Document, Change> | null = established;
    let change: Change | null = first;
    let failures = 0;
    while (!this.closed) {
      try {
        if (!stream) {
          stream = this.open();
          change = await stream.tryNext();
        }
        // Established (again): from here on nothing committed is missed.
        this.on.live(true);
        failures = 0;
        this.startAfter = null;
        if (this.resetDue) {
          this.resetDue = false;
          this.on.reset();
        }
        for (;;) {
          if (change && !this.dispatchSafely(change)) break;
          // After handling: the driver's token is the handled change's id, or the batch's postBatchResumeToken.
          this.token = stream.resumeToken ?? this.token;
          if (this.closed) break;
          change = await stream.tryNext();
        }
      } catch (err) {
        if (this.closed) break;
        this.on.live(false);
        if (stream?.resumeToken) this.token = stream.resumeToken;
        if (isPositionLost(err)) {
          // Reopen from "now" and have the hub replay from the store (which has every committed event).
          this.token = null;
          this.startAfter = null;
          this.resetDue = true;
          this.report(err, 'change stream position lost; subscribers will be reset');
        } else {
          this.report(err, 'change stream failed; reopening from the last resume token');
          if (!this.token && !this.startAfter) this.resetDue = true; // nowhere to resume from
        }
        await sleep(Math.min(200 * 2 ** failures++, 5000));
      }
      const ending = stream;
      stream = null;
      change = null;
      await ending?.close().catch(() => {});
    }
    this.on.live(false);
  }
}
