import type { mongo } from 'mongoose';
import { newId } from '../../ids.js';
import { Listeners } from '../memory/listeners.js';
import type { PresenceBoard, PresenceChange, PublicUser } from '../store.js';
import type { PresenceDoc } from './models.js';

/** Rooms per query when presence is re-read for many rooms at once. */
const ROOMS_PER_QUERY = 500;

const sameUser = (a: PublicUser, b: PublicUser) =>
  a.id === b.id &&
  a.username === b.username &&
  a.displayName === b.displayName &&
  a.gender === b.gender &&
  a.avatar === b.avatar;

/**
 * Presence over every instance, kept in MongoDB with expiry.
 *
 * - Each instance owns one document per (room, user) it has a stream for; `_id` = "roomId/userId/instance". A user is
 *   online in a room while a live document of theirs exists, whichever instance wrote it.
 * - Each document carries its own expiry, `expiresAt` = the server's $$NOW + the writing instance's TTL (an update
 *   pipeline computes it), and reads compare it with the server's clock too ($$NOW, or hello's localTime for the
 *   sweep): clock skew between instances never makes a document look fresh or stale, and an instance's
 *   PRESENCE_TTL_MS governs its own documents. Every ttl/3 an instance pushes its documents' expiry forward (one
 *   updateMany) and deletes everyone's expired documents: an instance that crashed stops refreshing, another one
 *   sweeps its documents within its TTL plus a heartbeat, and the deletes tell every instance that those users went
 *   offline. The TTL index on expiresAt is the backstop when no instance is left.
 * - Changes are learnt from the change stream (inserts and deletes of presence documents, see ChangeWatcher), never
 *   from a message that could race: after each one, the instance re-reads whether the user still has any live
 *   document in the room and reports a change only if the answer differs from what it last reported. Re-reads run one
 *   at a time and after the change that caused them, so the last report always matches the collection.
 * - This instance's own writes run one batch at a time: set() marks its key pending, and the next batch writes every
 *   pending key whose document differs from what the instance says, in one unordered bulkWrite (a document already
 *   written with the same profile is left alone). Streams opened together cost one round trip, the heartbeat waits
 *   behind at most one batch, and a heartbeat's repair can never re-create a document that a later set(false)
 *   removed.
 */
export class MongoPresenceBoard implements PresenceBoard {
  readonly instance = newId();
  /** What this instance says: "roomId/userId" -> user, while it has a stream of the user following the room. */
  private readonly here = new Map<string, PublicUser>();
  /** What this instance's documents hold, as far as it knows: the profile written, or null when a write's outcome
   * is unknown (it failed; the document may or may not be there). Keys without a document are absent. */
  private readonly stored = new Map<string, PublicUser | null>();
  /** Keys whose document may differ from `here`: the next batch writes them. */
  private readonly pending = new Set<string>();
  /** Pairs this instance last reported online, with the profile to use when they go offline. */
  private readonly known = new Map<string, PublicUser>();
  private readonly dirty = new Set<string>();
  private resyncDue = false;
  private readonly listeners: Listeners<PresenceChange>;
  private draining = false;
  /** This instance's writes, one after another. */
  private lane: Promise<unknown> = Promise.resolve();
  /** The batch queued in the lane and not started yet: set() calls until it starts join it. */
  private nextBatch: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly collection: mongo.Collection<PresenceDoc>,
    /** The server's clock (hello's localTime), for the sweep. */
    private readonly serverTime: () => Promise<Date>,
    private readonly lookupUser: (id: string) => Promise<PublicUser | null>,
    private readonly ttlMs: number,
    private readonly report: (err: unknown, what: string) => void,
  ) {
    this.listeners = new Listeners((err) => report(err, 'presence listener failed'));
  }

  /** Not expired, by the server's clock. */
  // Reads name roomId (and userId) too, so the (roomId, userId) index finds the few documents and this filters them.
  private static readonly ALIVE: mongo.Filter<PresenceDoc> = { $expr: { $gt: ['$expiresAt', '$$NOW'] } };

  /** An update pipeline stage moving expiresAt to the server's now + this instance's TTL. */
  private extend(): { $set: Record<string, unknown> } {
    return { $set: { expiresAt: { $add: ['$$NOW', this.ttlMs] } } };
  }

  private docId(key: string): string {
    return `${key}/${this.instance}`;
  }

  /** Sweeps what crashed instances left behind, then keeps this instance's documents fresh. */
  async start(): Promise<void> {
    await this.pulse();
    const every = Math.max(1000, Math.floor(this.ttlMs / 3));
    this.heartbeat = setInterval(() => void this.pulse(), every);
    this.heartbeat.unref();
  }

  /** One heartbeat, after the writes already queued (the timer runs one every ttl/3). Never rejects. */
  pulse(): Promise<void> {
    return this.inLane(() => this.beat());
  }

  /** Says goodbye: removes this instance's documents, so its users go offline everywhere now rather than at expiry. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.inLane(() => this.collection.deleteMany({ instance: this.instance })).catch((err) =>
      this.report(err, 'removing presence failed'),
    );
  }

  set(roomId: string, user: PublicUser, here: boolean): Promise<void> {
    const key = `${roomId}/${user.id}`;
    if (here) this.here.set(key, user);
    else this.here.delete(key);
    this.pending.add(key);
    this.nextBatch ??= this.inLane(async () => {
      this.nextBatch = null;
      await this.writePending();
    });
    return this.nextBatch;
  }

  async online(roomId: string): Promise<Set<string>> {
    const alive = { roomId, ...MongoPresenceBoard.ALIVE };
    const docs = await this.collection.find(alive, { projection: { userId: 1 } }).toArray();
    return new Set(docs.map((d) => d.userId));
  }

  onChange(listener: (change: PresenceChange) => void): () => void {
    return this.listeners.add(listener);
  }

  /** From the change stream: the presence document `id` was inserted or deleted, by any instance. */
  changed(id: string): void {
    const [roomId, userId] = id.split('/');
    if (!roomId || !userId) return;
    this.dirty.add(`${roomId}/${userId}`);
    void this.drain();
  }

  /**
   * The change stream may have missed changes: re-read the rooms this instance cares about (those it has streams in
   * or has reported on), a few queries for all of them rather than one per pair, and report what differs: users who
   * came online meanwhile as well as those who left.
   */
  resync(): void {
    this.resyncDue = true;
    void this.drain();
  }

  private inLane<T>(op: () => Promise<T>): Promise<T> {
    const run = this.lane.then(op);
    this.lane = run.catch(() => {});
    return run;
  }

  /** Makes this instance's documents of the pending keys match `here`, in one bulkWrite. */
  private async writePending(): Promise<void> {
    const batch: Array<[string, PublicUser | undefined]> = [];
    const ops: mongo.AnyBulkWriteOperation<PresenceDoc>[] = [];
    for (const key of this.pending) {
      const user = this.closed ? undefined : this.here.get(key);
      const stored = this.stored.get(key);
      if (user) {
        if (stored && sameUser(stored, user)) continue; // already written as it is: the heartbeat keeps it fresh
        const [roomId, userId] = key.split('/') as [string, string];
        // An upsert inserts only the first time (the change stream sees an insert); later ones are updates, unseen.
        // Values go in as $literal: in a pipeline, a string such as a display name "$x" would read as a field path.
        const fields = { roomId, userId, instance: this.instance, user };
        const set = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { $literal: v }]));
        const update = [{ $set: set }, this.extend()];
        ops.push({ updateOne: { filter: { _id: this.docId(key) }, update, upsert: true } });
      } else {
        if (!this.stored.has(key)) continue; // never written
        ops.push({ deleteOne: { filter: { _id: this.docId(key) } } });
      }
      batch.push([key, user]);
    }
    this.pending.clear();
    if (ops.length === 0) return;
    try {
      await this.collection.bulkWrite(ops, { ordered: false });
    } catch (err) {
      // Some may have been written: the next batch (or heartbeat) writes them all again, idempotently.
      for (const [key] of batch) {
        this.stored.set(key, null);
        this.pending.add(key);
      }
      throw err;
    }
    for (const [key, user] of batch) {
      if (user) this.stored.set(key, user);
      else this.stored.delete(key);
    }
  }

  private async beat(): Promise<void> {
    try {
      await this.writePending().catch((err) => this.report(err, 'writing presence failed'));
      const refreshed = await this.collection.updateMany({ instance: this.instance }, [this.extend()]);
      let written = 0;
      for (const user of this.stored.values()) if (user) written++;
      if (refreshed.matchedCount < written) {
        // Some of ours are gone: this instance could not reach MongoDB for longer than the TTL and another one swept
        // them. Write those again (only those).
        const ids = await this.collection.find({ instance: this.instance }, { projection: { _id: 1 } }).toArray();
        const present = new Set(ids.map((d) => d._id));
        for (const key of [...this.stored.keys()]) {
          if (present.has(this.docId(key))) continue;
          this.stored.delete(key);
          this.pending.add(key);
        }
        await this.writePending();
      }
      // A range on expiresAt with the server's time as a constant, so the expiresAt index serves it (a $$NOW
      // comparison inside $expr would scan the collection on servers before 5.0).
      await this.collection.deleteMany({ expiresAt: { $lte: await this.serverTime() } });
    } catch (err) {
      this.report(err, 'presence heartbeat failed');
    }
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while ((this.resyncDue || this.dirty.size > 0) && !this.closed) {
        try {
          if (this.resyncDue) {
            this.resyncDue = false;
            await this.recountRooms();
            continue;
          }
          const key = this.dirty.values().next().value!;
          this.dirty.delete(key);
          await this.recount(key);
        } catch (err) {
          this.report(err, 'reading presence failed');
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async recount(key: string): Promise<void> {
    const [roomId, userId] = key.split('/') as [string, string];
    const alive = { roomId, userId, ...MongoPresenceBoard.ALIVE };
    const doc = await this.collection.findOne(alive, { projection: { user: 1 } });
    if (doc) {
      const was = this.known.has(key);
      this.known.set(key, doc.user);
      if (!was) this.listeners.emit({ roomId, user: doc.user, online: true });
      return;
    }
    // Gone everywhere. Also reported when this instance never saw them arrive (it started later): its subscribers
    // had them online from the members list.
    const user = this.known.get(key) ?? (await this.lookupUser(userId));
    this.known.delete(key);
    if (user) this.listeners.emit({ roomId, user, online: false });
  }

  /** resync(): everyone online in the rooms of interest, compared with what was last reported. */
  private async recountRooms(): Promise<void> {
    const rooms = [...new Set([...this.here.keys(), ...this.known.keys()].map((key) => key.split('/')[0]!))];
    const alive = new Map<string, PublicUser>();
    for (let i = 0; i < rooms.length; i += ROOMS_PER_QUERY) {
      const filter = { roomId: { $in: rooms.slice(i, i + ROOMS_PER_QUERY) }, ...MongoPresenceBoard.ALIVE };
      const docs = await this.collection.find(filter, { projection: { roomId: 1, userId: 1, user: 1 } }).toArray();
      for (const d of docs) alive.set(`${d.roomId}/${d.userId}`, d.user);
    }
    for (const [key, user] of alive) {
      if (this.known.has(key)) continue;
      this.known.set(key, user);
      const [roomId] = key.split('/') as [string];
      this.listeners.emit({ roomId, user, online: true });
    }
    // Reported online but gone now: the usual re-read reports them offline.
    for (const key of this.known.keys()) if (!alive.has(key)) this.dirty.add(key);
  }
}
