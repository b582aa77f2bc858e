import { Listeners } from './memory/listeners.js';
import type { EventFeed, FeedListener, FeedResetListener, RoomEvent } from './store.js';

/** Listener registry behind EventFeed; a store calls publish() after each commit. A failing listener never affects
 * the store or the other listeners. */
export class FeedPublisher implements EventFeed {
  private readonly listeners: Listeners<RoomEvent>;
  private readonly resetListeners: Listeners<void>;
  live = true;

  constructor(onListenerError?: (err: unknown) => void) {
    this.listeners = new Listeners(onListenerError);
    this.resetListeners = new Listeners(onListenerError);
  }

  onEvent(listener: FeedListener): () => void {
    return this.listeners.add(listener);
  }

  onReset(listener: FeedResetListener): () => void {
    return this.resetListeners.add(listener);
  }

  publish(event: RoomEvent): void {
    this.listeners.emit(event);
  }

  reset(): void {
    this.resetListeners.emit();
  }
}
