import { mongo } from 'mongoose';
import type { FeedPublisher } from '../feed.js';
import type { RoomEvent } from '../store.js';
import type { EventDoc } from './models.js';

type ResumeToken = mongo.ResumeToken;
type Change = mongo.ChangeStreamDocument<EventDoc>;

/**
 * Server error codes meaning "this stream cannot continue from the saved position": the resume point has left the
 * oplog (ChangeStreamHistoryLost, 286), the token is not one this stream can use (ChangeStreamFatalError, 280;
 * InvalidResumeToken, 260). Events may have been missed, so subscribers get reset instead of a silent gap.
 */
const POSITION_LOST_CODES = new Set([260, 280, 286]);
const POSITION_LOST_NAMES = new Set(['InvalidResumeToken', 'ChangeStreamFatalError', 'ChangeStreamHistoryLost']);

export function isPositionLost(err: unknown): boolean {
  if (!(err instanceof mongo.MongoServerError)) return false;
  return (typeof err.code === 'number' && POSITION_LOST_CODES.has(err.code)) || POSITION_LOST_NAMES.has(err.codeName ?? '');
}

export function toRoomEvent(doc: EventDoc): RoomEvent {
  return { roomId: doc.roomId, seq: doc.seq, type: doc.type, actor: doc.actor ?? null, at: doc.at.toISOString(), payload: doc.payload };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The store's feed: ONE change stream per process, on the events collection, insert operations only. Every event
 * committed by any instance arrives here once, in oplog order (commit order, so seq order within a room), and is
 * published to the hub.
 *
 * - The driver itself resumes once on a resumable error (network error, election, "not primary") with the latest
 *   resume token. If that fails too, this loop reopens the stream from the saved token with backoff; meanwhile
 *   `feed.live` is false (GET /api/health shows it).
 * - If the saved position is gone (ChangeStreamHistoryLost and friends), or the stream is invalidated (the
 *   collection was dropped or renamed), the stream is reopened from "now" and then `feed.reset()` makes the hub
 *   re-read every subscriber's rooms from the store: a reset, never a silent gap.
 * - Iterator mode with tryNext(): the first call runs the aggregate that opens the stream, so start() resolves only
 *   once the server has fixed the stream's starting point; every event committed after that is delivered. Each call
 *   is one awaitData getMore (at most maxAwaitTimeMS), and the driver advances `resumeToken` to the
 *   postBatchResumeToken even when nothing arrives, so an idle stream keeps a fresh position in the oplog.
 */
export class EventWatcher {
  private stream: mongo.ChangeStream<EventDoc, Change> | null = null;
  /** resumeAfter: the position after the last change handled. */
  private token: ResumeToken | null = null;
  /** startAfter: set after an invalidate event (resumeAfter cannot pass an invalidate; startAfter can). */
  private startAfter: ResumeToken | null = null;
  private resetDue = false;
  private closed = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly collection: mongo.Collection<EventDoc>,
    private readonly feed: FeedPublisher,
    private readonly report: (err: unknown, what: string) => void,
    private readonly maxAwaitTimeMS = 1000,
  ) {
    feed.live = false;
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
    this.feed.live = true;
    this.loop = this.run(stream, first);
  }

  async close(): Promise<void> {
    this.closed = true;
    // Closing the stream makes a pending tryNext() reject; the loop sees `closed` and ends.
    await this.stream?.close().catch(() => {});
    await this.loop;
    this.feed.live = false;
  }

  private open(): mongo.ChangeStream<EventDoc, Change> {
    const options: mongo.ChangeStreamOptions = { maxAwaitTimeMS: this.maxAwaitTimeMS };
    if (this.startAfter) options.startAfter = this.startAfter;
    else if (this.token) options.resumeAfter = this.token;
    // Inserts are the only change the log has (it is append-only); `invalidate` is listed so that it is seen and
    // handled rather than merely ending the cursor.
    const pipeline = [{ $match: { operationType: { $in: ['insert', 'invalidate'] } } }];
    const stream = this.collection.watch<EventDoc, Change>(pipeline, options);
    this.stream = stream;
    return stream;
  }

  private async run(established: mongo.ChangeStream<EventDoc, Change>, first: Change | null): Promise<void> {
    let stream: mongo.ChangeStream<EventDoc, Change> | null = established;
    let change: Change | null = first;
    let failures = 0;
    while (!this.closed) {
      try {
        if (!stream) {
          stream = this.open();
          change = await stream.tryNext();
        }
        // Established (again): from here on nothing committed is missed.
        this.feed.live = true;
        failures = 0;
        this.startAfter = null;
        if (this.resetDue) {
          this.resetDue = false;
          this.feed.reset();
        }
        for (;;) {
          if (change) {
            if (change.operationType === 'invalidate') {
              this.startAfter = change._id;
              this.token = null;
              this.resetDue = true;
              this.report(new Error('the events change stream was invalidated (collection dropped or renamed)'), 'change stream invalidated');
              break;
            }
            if (change.operationType === 'insert') this.feed.publish(toRoomEvent(change.fullDocument));
          }
          // After handling: the driver's token is the handled change's id, or the batch's postBatchResumeToken.
          this.token = stream.resumeToken ?? this.token;
          if (this.closed) break;
          change = await stream.tryNext();
        }
      } catch (err) {
        if (this.closed) break;
        this.feed.live = false;
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
    this.feed.live = false;
  }
}
