import { notify } from './local.js';
import type { EventFeed, FeedListener, FeedResetListener, RoomEvent } from './store.js';

/** Listener registry behind EventFeed; a store calls publish() after each commit. A failing listener never affects
 * the store or the other listeners. */
export class FeedPublisher implements EventFeed {
  private readonly listeners = new Set<FeedListener>();
  private readonly resetListeners = new Set<FeedResetListener>();
  live = true;

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  onEvent(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onReset(listener: FeedResetListener): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  publish(event: RoomEvent): void {
    notify(this.listeners, event, this.onListenerError);
  }

  reset(): void {
    notify(this.resetListeners, undefined, this.onListenerError);
  }
}
