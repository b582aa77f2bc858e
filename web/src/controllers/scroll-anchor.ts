import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** How close to the bottom (px) still counts as "at the bottom". */
const NEAR_BOTTOM = 80;

/**
 * Keeps a timeline's scroll position where the reader expects it: at the newest message while they are at the
 * bottom, in place when older messages are added above, and counting the new messages that arrive while they read
 * further up (`unseen`, for a "new messages" button).
 *
 * The host calls `beforeUpdate` in willUpdate, `afterUpdate` in updated (with what the timeline now shows), and
 * `keepPlace` just before it asks for older messages.
 */
export class ScrollAnchor implements ReactiveController {
  unseen = 0;
  atBottom = true;
  private anchor: { height: number; top: number } | null = null;
  private stick = true;
  private lastCount = 0;
  private lastNewest = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly scroller: () => HTMLElement | null,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  isNearBottom(): boolean {
    const s = this.scroller();
    return !s || s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM;
  }

  /** Before the DOM changes: is the reader at the bottom? A new room starts at the bottom. */
  beforeUpdate(newRoom: boolean): void {
    if (newRoom) {
      this.unseen = 0;
      this.stick = true;
      this.lastCount = 0;
      this.lastNewest = 0;
      this.anchor = null;
    } else if (this.scroller()) {
      this.stick = this.isNearBottom();
    }
  }

  /**
   * After the DOM changed. `count` is the number of lines shown, `newest` grows when something was added at the
   * bottom; `loadingOlder` holds the anchor until the older page is in; `paged` says the bottom grew by a page of
   * newer history (paging down from a linked message), which keeps the reader's place and is not "new".
   */
  afterUpdate(count: number, newest: number, loadingOlder: boolean, paged = false): void {
    const s = this.scroller();
    if (!s) return;
    if (this.anchor && !loadingOlder) {
      // Older messages were added above: keep what the reader was looking at in place.
      s.scrollTop = this.anchor.top + (s.scrollHeight - this.anchor.height);
      this.anchor = null;
    } else if (count !== this.lastCount || newest !== this.lastNewest) {
      const grewAtBottom = newest !== this.lastNewest;
      if (paged && this.lastCount !== 0) {
        /* lines added below the view move nothing */
      } else if (this.stick || this.lastCount === 0) s.scrollTop = s.scrollHeight;
      else if (grewAtBottom) {
        this.unseen += Math.max(1, count - this.lastCount);
        this.host.requestUpdate();
      }
    }
    this.lastCount = count;
    this.lastNewest = newest;
  }

  /** Older messages are about to be added above: remember the position to keep. */
  keepPlace(): void {
    const s = this.scroller();
    if (s) this.anchor = { height: s.scrollHeight, top: s.scrollTop };
  }

  /** The reader scrolled; answers whether they are near the top (time to load older messages). */
  onScroll(): boolean {
    const s = this.scroller();
    if (!s) return false;
    const bottom = this.isNearBottom();
    if (bottom !== this.atBottom || (bottom && this.unseen)) {
      this.atBottom = bottom;
      if (bottom) this.unseen = 0;
      this.host.requestUpdate();
    }
    return s.scrollTop < 150;
  }

  jumpToBottom(): void {
    const s = this.scroller();
    if (!s) return;
    s.scrollTo({
      top: s.scrollHeight,
      behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth',
    });
    this.unseen = 0;
    this.host.requestUpdate();
  }

  /** Whether the lines do not fill the view yet (fetch older ones until they do). */
  underfilled(): boolean {
    const s = this.scroller();
    return !!s && s.scrollHeight <= s.clientHeight + 40;
  }
}
