import { refreshSession } from './api.js';
import {
  ROOM_EVENT_TYPES,
  type PresenceEvent,
  type MembershipNotice,
  type ReceiptMarks,
  type RoomEvent,
  type TypingNotice,
} from './types.js';

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface ResetNotice {
  roomId: string;
  lastSeq: number;
  reason: string;
}

export interface StreamHandlers {
  event(event: RoomEvent): void;
  reset(notice: ResetNotice): void;
  /** The stream is (again) open; `resumed` is false for the first connection of this page. */
  open(resumed: boolean): void;
  status(status: ConnectionStatus): void;
  presence(event: PresenceEvent): void;
  typing(notice: TypingNotice): void;
  receipt(marks: ReceiptMarks): void;
  /** My notification settings for a room changed. */
  membership(notice: MembershipNotice): void;
  /** The session ended (refresh refused): stop and show the login page. */
  sessionLost(): void;
}

const MAX_DELAY_MS = 5000;

/**
 * The tab's one GET /api/events stream. It keeps the last cursor (the SSE id) and reconnects by itself after a drop,
 * an expired access token (refresh first) or a server restart, resuming with ?lastEventId=<cursor> so every room
 * continues where it stopped.
 */
export class EventStream {
  private source: EventSource | null = null;
  private cursor: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private opened = false;
  private stopped = true;
  private currentStatus: ConnectionStatus = 'connecting';

  constructor(private readonly on: StreamHandlers) {
    window.addEventListener('online', () => this.retrySoon(0));
    window.addEventListener('offline', () => this.setStatus('offline'));
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  get lastEventId(): string | null {
    return this.cursor;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.opened = false;
    this.cursor = null;
    this.failures = 0;
    this.setStatus('connecting');
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.on.status(status);
  }

  private connect(): void {
    if (this.stopped) return;
    this.source?.close();
    const url = this.cursor ? `/api/events?lastEventId=${encodeURIComponent(this.cursor)}` : '/api/events';
    const es = new EventSource(url, { withCredentials: false });
    this.source = es;
    es.onopen = () => {
      if (this.source !== es) return;
      this.failures = 0;
      this.setStatus('live');
      const resumed = this.opened;
      this.opened = true;
      this.on.open(resumed);
    };
    es.onerror = () => {
      if (this.source !== es) return;
      // Take reconnection over from the browser: it cannot refresh an expired cookie or tell a 401 from a restart.
      es.close();
      this.source = null;
      this.failures++;
      this.setStatus(navigator.onLine === false || this.failures > 3 ? 'offline' : 'reconnecting');
      this.retrySoon(
        this.failures === 1 ? 250 : Math.min(MAX_DELAY_MS, 500 * 2 ** (this.failures - 2)) * (0.75 + Math.random() / 2),
      );
    };
    const remember = (e: MessageEvent) => {
      if (e.lastEventId) this.cursor = e.lastEventId;
    };
    for (const type of ROOM_EVENT_TYPES) {
      es.addEventListener(type, (e) => {
        if (this.source !== es) return;
        remember(e);
        let event: RoomEvent;
        try {
          event = JSON.parse(e.data) as RoomEvent;
        } catch {
          return;
        }
        this.on.event(event);
      });
    }
    es.addEventListener('reset', (e) => {
      if (this.source !== es) return;
      remember(e);
      try {
        this.on.reset(JSON.parse(e.data) as ResetNotice);
      } catch {
        /* ignore a malformed notice */
      }
    });
    // Ephemeral events (no id, not stored): presence, typing and receipts.
    const ephemeral = <T>(type: string, handle: (data: T) => void) =>
      es.addEventListener(type, (e) => {
        if (this.source !== es) return;
        try {
          handle(JSON.parse(e.data) as T);
        } catch {
          /* ignore a malformed notice */
        }
      });
    ephemeral<PresenceEvent>('presence', (d) => this.on.presence(d));
    ephemeral<TypingNotice>('typing', (d) => this.on.typing(d));
    ephemeral<ReceiptMarks>('receipt', (d) => this.on.receipt(d));
    ephemeral<MembershipNotice>('membership', (d) => this.on.membership(d));
    es.addEventListener('expired', () => {
      if (this.source !== es) return;
      // The access token ran out: refresh it, then resume at once.
      es.close();
      this.source = null;
      this.setStatus('reconnecting');
      this.retrySoon(0);
    });
  }

  /** Reconnects after `delay` ms, first making sure the session is still good (refreshing it when needed). */
  private retrySoon(delay: number): void {
    if (this.stopped || this.source) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    if (this.stopped || this.source) return;
    let res: Response | null;
    try {
      res = await fetch('/api/me', { credentials: 'same-origin' });
    } catch {
      res = null;
    }
    if (this.stopped || this.source) return;
    if (res === null || res.status >= 500) {
      this.failures++;
      this.setStatus(navigator.onLine === false || this.failures > 3 ? 'offline' : 'reconnecting');
      this.retrySoon(Math.min(MAX_DELAY_MS, 500 * 2 ** Math.min(this.failures, 6)) * (0.75 + Math.random() / 2));
      return;
    }
    if (res.status === 401) {
      if (!(await refreshSession())) {
        this.stop();
        this.on.sessionLost();
        return;
      }
    }
    this.connect();
  }
}
