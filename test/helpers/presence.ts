import type { SseEvent } from './sse.js';

/** The `presence` events of a stream, optionally of one room. */
export function presenceEvents(events: SseEvent[], roomId?: string): SseEvent[] {
  return events.filter((e) => e.event === 'presence' && (roomId === undefined || e.json.roomId === roomId));
}

/** Each state a stream was told for `userId`, in order (an entry of a change or a snapshot). */
export function statesOf(events: SseEvent[], userId: string): boolean[] {
  const states: boolean[] = [];
  for (const e of presenceEvents(events)) {
    for (const c of e.json.changes as Array<{ userId: string; online: boolean }>) {
      if (c.userId === userId) states.push(c.online);
    }
  }
  return states;
}
