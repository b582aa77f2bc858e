/**
 * Links to a message. The address `/rooms/<roomId>/<seq>` opens the room scrolled to that message and highlights it
 * (loading the history around it when needed); the app routes with history paths, so the link is a path.
 * `#/rooms/<roomId>/<seq>` is accepted too (the router turns it into the path). Search results, reply excerpts,
 * mentions and notifications link with these helpers.
 */

/** The in-app path of a message, for navigate() or an <a href>. */
export function messagePath(roomId: string, seq: number): string {
  return `/rooms/${encodeURIComponent(roomId)}/${seq}`;
}

/** The full address of a message, to copy or share. */
export function messageUrl(roomId: string, seq: number, origin = location.origin): string {
  return origin + messagePath(roomId, seq);
}

/** The room and, for a link to a message, its seq, from a path; null when the path is not a room's. */
export function parseRoomPath(path: string): { roomId: string; seq: number | null } | null {
  const m = /^\/rooms\/([A-Za-z0-9_-]+)(?:\/([1-9][0-9]{0,15}))?\/?$/.exec(path);
  if (!m) return null;
  const seq = m[2] === undefined ? null : Number(m[2]);
  return { roomId: m[1]!, seq: seq !== null && Number.isSafeInteger(seq) ? seq : null };
}
