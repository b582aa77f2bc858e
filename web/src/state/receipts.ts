import { api } from '../api.js';
import type { ReceiptMarks } from '../types.js';
import { Store } from './store.js';

/** Per room: how far every member has received and read it. */
export type ReceiptsState = ReadonlyMap<string, { deliveredSeq: number; readSeq: number }>;

/** ✓ stored, ✓✓ delivered to everyone, read by everyone. */
export function receiptOf(
  marks: { deliveredSeq: number; readSeq: number } | undefined,
  seq: number,
): 'sent' | 'delivered' | 'read' {
  return marks && marks.readSeq >= seq ? 'read' : marks && marks.deliveredSeq >= seq ? 'delivered' : 'sent';
}

/** Read receipts: the room watermarks the server sends, and telling it how far I have read. */
export class Receipts {
  readonly store = new Store<ReceiptsState>(new Map());
  private readSent = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  apply(r: ReceiptMarks): void {
    this.store.set(new Map(this.store.value).set(r.roomId, { deliveredSeq: r.deliveredSeq, readSeq: r.readSeq }));
  }

  /** Whether the room has moved past what I last said I read. */
  behind(roomId: string, headSeq: number): boolean {
    return headSeq > (this.readSent.get(roomId) ?? 0);
  }

  /**
   * Tells the server how far the open room has been seen, a moment after it moves (and only while the page is
   * visible). `open` answers the open room and its newest seq at that moment, when it has loaded.
   */
  markReadSoon(open: () => { roomId: string; headSeq: number } | null): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const now = open();
      if (!now || document.visibilityState !== 'visible') return;
      const { roomId, headSeq } = now;
      if (!this.behind(roomId, headSeq)) return;
      this.readSent.set(roomId, headSeq);
      api.post(`/api/rooms/${roomId}/read`, { seq: headSeq }).catch(() => this.readSent.delete(roomId));
    }, 400);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.readSent.clear();
    this.store.set(new Map());
  }
}
