import type { mongo } from 'mongoose';
import { Listeners } from '../memory/listeners.js';
import { SIGNAL_TYPES, type Signal, type SignalBus } from '../store.js';
import type { SignalDoc } from './models.js';

/**
 * Signals between instances: publishing inserts a document into `signals`; every instance's change stream (this
 * one's too) brings it back and hands it to the hub. So every instance, the sender included, shows a signal the same
 * way and in the same order.
 *
 * - Written with w:1 and not awaited by the caller: a change stream returns a change only once a majority has it
 *   anyway, so waiting for majority here would hold the request without making delivery any surer. A failed insert
 *   is reported and dropped; signals are best effort (ephemeral events are not stored: docs/architecture.md).
 * - The TTL index on `at` removes documents after a minute; the change streams have long passed them by then.
 */
export class MongoSignals implements SignalBus {
  private readonly listeners: Listeners<Signal>;

  constructor(
    private readonly collection: mongo.Collection<SignalDoc>,
    private readonly report: (err: unknown, what: string) => void,
  ) {
    this.listeners = new Listeners((err) => report(err, 'signal listener failed'));
  }

  publish(signal: Signal): void {
    const doc: SignalDoc = { roomId: signal.roomId, type: signal.type, data: signal.data, at: new Date() };
    this.collection
      .insertOne(doc, { writeConcern: { w: 1 } })
      .catch((err) => this.report(err, 'publishing a signal failed'));
  }

  onSignal(listener: (signal: Signal) => void): () => void {
    return this.listeners.add(listener);
  }

  /** A signal document from the change stream (any instance's). Anything malformed is ignored. */
  received(doc: SignalDoc): void {
    if (
      typeof doc.roomId !== 'string' ||
      !SIGNAL_TYPES.includes(doc.type) ||
      typeof doc.data !== 'object' ||
      doc.data === null
    )
      return;
    this.listeners.emit({ roomId: doc.roomId, type: doc.type, data: doc.data });
  }
}
