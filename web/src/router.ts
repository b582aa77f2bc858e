/** A tiny history router: the server answers /, /login, /register and /rooms/* with the app shell. */
import { parseRoomPath } from './links.js';

const listeners = new Set<() => void>();

export function currentPath(): string {
  return location.pathname;
}

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const l of listeners) l();
}

export function onRoute(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

window.addEventListener('popstate', () => {
  for (const l of listeners) l();
});

/** Click handler for in-app links: plain clicks navigate without a page load. */
export function linkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.currentTarget as HTMLElement).closest('a');
  if (!a || a.target) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}

export function roomIdFromPath(path = currentPath()): string | null {
  return parseRoomPath(path)?.roomId ?? null;
}

/** The seq of the message a path links to (`/rooms/<roomId>/<seq>`), or null. */
export function seqFromPath(path = currentPath()): number | null {
  return parseRoomPath(path)?.seq ?? null;
}

// A hash link (`#/rooms/<roomId>/<seq>`) becomes the path it names: the app routes with history paths.
if (/^#\/rooms\//.test(location.hash)) history.replaceState(null, '', location.hash.slice(1));
