import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ChatClient } from '../state/client.js';
import { totalUnread, type RoomsState } from '../state/rooms.js';

/** Keeps the tab's title as "(unread) Room · Parley" without re-rendering anything. */
export class DocumentTitle implements ReactiveController {
  private off: (() => void) | null = null;
  private badge = -1;

  constructor(
    host: ReactiveControllerHost,
    private readonly clientOf: () => ChatClient | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    const client = this.clientOf();
    if (!client) return;
    const show = (s: RoomsState) => {
      const unread = totalUnread(s);
      const room = s.openRoomId ? s.rooms.get(s.openRoomId) : undefined;
      const title = `${unread ? `(${unread}) ` : ''}${room ? `${room.name} · ` : ''}Parley`;
      if (document.title !== title) document.title = title;
      // The installed app's icon badge, where the browser has one.
      const nav = navigator as Navigator & {
        setAppBadge?: (n?: number) => Promise<void>;
        clearAppBadge?: () => Promise<void>;
      };
      if (unread !== this.badge && nav.setAppBadge) {
        this.badge = unread;
        void (unread ? nav.setAppBadge(unread) : nav.clearAppBadge?.())?.catch(() => undefined);
      }
    };
    show(client.rooms.value);
    this.off = client.rooms.store.subscribe(show);
  }

  hostDisconnected(): void {
    this.off?.();
    this.off = null;
  }
}
