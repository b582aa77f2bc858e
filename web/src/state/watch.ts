import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { sameSelection, type Store } from './store.js';

/**
 * Re-renders its host when what it selects from a store changes, and only then. The store is looked up and the
 * selection taken again before every update of the host, so a watch of "the timeline of this.roomId" follows the
 * property.
 *
 *   private readonly rooms = new Watch(this, () => this.client.rooms.store, (s) => [s.rooms, s.unread]);
 *   render() { const [rooms, unread] = this.rooms.value; ... }
 */
export class Watch<T, S> implements ReactiveController {
  private store: Store<T> | null = null;
  private unsubscribe: (() => void) | null = null;
  private selected!: S;
  private connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly storeOf: () => Store<T> | null | undefined,
    private readonly select: (value: T) => S,
  ) {
    host.addController(this);
  }

  /** The current selection. */
  get value(): S {
    if (!this.connected) {
      const store = this.storeOf();
      return store ? this.select(store.value) : this.selected;
    }
    this.follow();
    return this.selected;
  }

  hostConnected(): void {
    this.connected = true;
    this.follow();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.store = null;
  }

  hostUpdate(): void {
    this.follow();
    // The selection may depend on the host's properties (this.roomId): take it afresh for every render.
    if (this.store) this.selected = this.select(this.store.value);
  }

  private follow(): void {
    const store = this.storeOf() ?? null;
    if (store === this.store) return;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.store = store;
    if (!store) return;
    this.selected = this.select(store.value);
    this.unsubscribe = store.subscribe((value) => {
      const next = this.select(value);
      if (sameSelection(next, this.selected)) return;
      this.selected = next;
      this.host.requestUpdate();
    });
  }
}
