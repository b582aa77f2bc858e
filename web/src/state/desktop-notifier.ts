import { messagePath } from '../links.js';
import { mentionsMe } from '../mention-marks.js';
import { navigate } from '../router.js';
import type { Message, RoomEntry } from '../types.js';

/** What a notification shows of a message: its text without Markdown's marks, on one line, not too long. */
export function plainText(text: string | null): string {
  if (!text) return 'sent an image';
  return text
    .replace(/```[^\n]*\n?([\s\S]*?)(```|$)/g, '$1') // fences: keep the code
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // [text](url) -> text
    .replace(/^\s{0,3}(>\s?)+/gm, '') // quotes
    .replace(/^\s*([-*+]|\d+[.)])\s+/gm, '') // list markers
    .replace(/(\*\*|__|~~|\*|_)(?=\S)([^]*?\S)\1/g, '$2') // emphasis
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

/** Whether a message by someone else notifies me at my level in its room (a muted room notifies of nothing). */
export function notifies(room: RoomEntry | undefined, m: Message, meId: string | null): boolean {
  const membership = room?.membership;
  if (!membership || membership.muted || !meId || m.author.id === meId) return false;
  const level = membership.notify ?? (room.kind === 'direct' ? 'all' : 'mentions');
  return level === 'all' || (level === 'mentions' && mentionsMe(m, meId));
}

const CLAIMS_KEY = 'parley.notified';
const CLAIMS_KEPT = 200;

/**
 * Desktop notifications for new messages, once per message across this browser's tabs: each tab that would show one
 * first claims the message (see claim). The tab looking at the message's room claims it at once, as seen, so no other
 * tab notifies.
 */
export class DesktopNotifier {
  /** Whether this browser can show them, and whether the user allowed it. */
  static get permission(): NotificationPermission | 'unsupported' {
    return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
  }

  /** Asks for permission: only ever from a user's click (never on page load). */
  static async ask(): Promise<NotificationPermission | 'unsupported'> {
    if (typeof Notification === 'undefined') return 'unsupported';
    return Notification.requestPermission();
  }

  /** A new message arrived in this tab: show it, leave it to another tab, or mark it seen. */
  async consider(
    m: Message,
    room: RoomEntry | undefined,
    meId: string | null,
    openRoomId: string | null,
  ): Promise<void> {
    if (!notifies(room, m, meId)) return;
    const looking = document.visibilityState === 'visible' && openRoomId === m.roomId;
    const key = `${m.roomId}:${m.seq}`;
    if (looking) {
      await this.claim(key);
      return;
    }
    // Give a tab that is looking at the room the first word (it claims at once); then the first to claim shows it.
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (DesktopNotifier.permission !== 'granted') return;
    if (!(await this.claim(key))) return;
    this.show(m, room!);
  }

  private show(m: Message, room: RoomEntry): void {
    const sender = m.author.displayName || m.author.username;
    const title = room.kind === 'direct' ? sender : `${sender} in ${room.name}`;
    const n = new Notification(title, { body: plainText(m.text), tag: `parley:${m.roomId}:${m.seq}` });
    n.onclick = () => {
      window.focus();
      navigate(messagePath(m.roomId, m.seq));
      n.close();
    };
  }

  /**
   * True when this tab is the first to claim the message. The claim is a Web Lock named after the message, taken only
   * if free and then held for a minute, so a second tab asking meanwhile is refused (the browser decides, atomically,
   * across tabs); a note in localStorage covers tabs that see the message later. Without Web Locks, only the note.
   */
  private claim(key: string): Promise<boolean> {
    if (this.noted(key)) return Promise.resolve(false);
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    if (!locks) return Promise.resolve(this.note(key));
    return new Promise((resolve) => {
      void locks.request(`parley-notify:${key}`, { ifAvailable: true }, async (lock) => {
        if (!lock) return resolve(false);
        resolve(this.note(key));
        await new Promise((held) => setTimeout(held, 60_000));
      });
    });
  }

  private claims(): string[] {
    try {
      return JSON.parse(localStorage.getItem(CLAIMS_KEY) ?? '[]') as string[];
    } catch {
      return [];
    }
  }

  private noted(key: string): boolean {
    return this.claims().includes(key);
  }

  /** Records the claim; false when another tab's note got there first. */
  private note(key: string): boolean {
    const claimed = this.claims();
    if (claimed.includes(key)) return false;
    claimed.push(key);
    localStorage.setItem(CLAIMS_KEY, JSON.stringify(claimed.slice(-CLAIMS_KEPT)));
    return true;
  }
}
