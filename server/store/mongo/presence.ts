import type { mongo } from 'mongoose';
import { newId } from '../../ids.js';
import { Listeners } from '../memory/listeners.js';
import type { PresenceBoard, PresenceChange, PublicUser } from '../store.js';
import type { PresenceDoc } from './models.js';

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
 * - This instance's own writes go through one queue, so a heartbeat's repair can never re-create a document that a
 *   later set(false) removed.
 */
export class MongoPresenceBoard implements PresenceBoard {
  readonly instance = newId();
  /** What this instance says: "roomId/userId" -> user, while it has a stream of the user following the room. */
  private readonly here = new Map<string, PublicUser>();
  /** Keys whose document write failed: retried on the next heartbeat. */
  private readonly unsynced = new Set<string>();
  /** Pairs this instance last reported online, with the profile to use when they go offline. */
  private readonly known = new Map<string, PublicUser>();
  private readonly dirty = new Set<string>();
  private readonly listeners: Listeners<PresenceChange>;
  private draining = false;
  private writes: Promise<unknown> = Promise.resolve();
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

  /** Sweeps what crashed instances left behind, then keeps this instance's documents fresh. */
  async start(): Promise<void> {
    await this.queue(() => this.beat());
    const every = Math.max(1000, Math.floor(this.ttlMs / 3));
    this.heartbeat = setInterval(() => void this.queue(() => this.beat()).catch(() => {}), every);
    this.heartbeat.unref();
  }

  /** Says goodbye: removes this instance's documents, so its users go offline everywhere now rather than at expiry. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.queue(() => this.collection.deleteMany({ instance: this.instance })).catch((err) =>
      this.report(err, 'removing presence failed'),
    );
  }

  set(roomId: string, user: PublicUser, here: boolean): Promise<void> {
    const key = `${roomId}/${user.id}`;
    if (here) this.here.set(key, user);
    else this.here.delete(key);
    return this.queue(() => this.write(key));
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

  /** The change stream may have missed changes: re-read every pair reported online. */
  resync(): void {
    for (const key of this.known.keys()) this.dirty.add(key);
    void this.drain();
  }

  private queue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.writes.then(op);
    this.writes = run.catch(() => {});
    return run;
  }

  /** Makes this instance's document for `key` match `here` (upsert or delete). */
  private async write(key: string): Promise<void> {
    const user = this.here.get(key);
    const _id = `${key}/${this.instance}`;
    try {
      if (user && !this.closed) {
        const [roomId, userId] = key.split('/') as [string, string];
        // An upsert inserts only the first time (the change stream sees an insert); later ones are updates, unseen.
        // Values go in as $literal: in a pipeline, a string such as a display name "$x" would read as a field path.
        const fields = { roomId, userId, instance: this.instance, user };
        const set = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { $literal: v }]));
        await this.collection.updateOne({ _id }, [{ $set: set }, this.extend()], { upsert: true });
      } else {
        await this.collection.deleteOne({ _id });
      }
      this.unsynced.delete(key);
    } catch (err) {
      this.unsynced.add(key);
      throw err;
    }
  }

  private async beat(): Promise<void> {
    try {
      for (const key of [...this.unsynced]) await this.write(key);
      const refreshed = await this.collection.updateMany({ instance: this.instance }, [this.extend()]);
      if (refreshed.matchedCount < this.here.size) {
        // Some of ours are gone: this instance could not reach MongoDB for longer than the TTL and another one swept
        // them. Say everything again.
        for (const key of this.here.keys()) await this.write(key);
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
      while (this.dirty.size > 0 && !this.closed) {
        const key = this.dirty.values().next().value!;
        this.dirty.delete(key);
        try {
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
}
