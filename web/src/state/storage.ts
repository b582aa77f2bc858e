/**
 * What the client keeps in localStorage: nothing secret (the session is in HttpOnly cookies), only the last room
 * opened and a sign-out broadcast that other tabs of the browser follow.
 */
const LAST_ROOM_KEY = 'parley.lastRoom';
const SIGNED_OUT_KEY = 'parley.signedOut';

export const storage = {
  lastRoom(): string | null {
    return localStorage.getItem(LAST_ROOM_KEY);
  },

  rememberRoom(roomId: string): void {
    localStorage.setItem(LAST_ROOM_KEY, roomId);
  },

  /** The room is gone: do not offer it next time. */
  forgetRoom(roomId: string): void {
    if (localStorage.getItem(LAST_ROOM_KEY) === roomId) localStorage.removeItem(LAST_ROOM_KEY);
  },

  /** Tells the other tabs of this browser that the user signed out. */
  broadcastSignOut(): void {
    localStorage.setItem(SIGNED_OUT_KEY, String(Date.now()));
  },

  /** Calls `listener` when another tab signs out; answers the function that stops listening. */
  onSignOutElsewhere(listener: () => void): () => void {
    const onStorage = (e: StorageEvent) => {
      if (e.key === SIGNED_OUT_KEY) listener();
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  },
};
