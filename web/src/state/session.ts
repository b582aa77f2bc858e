import { api } from '../api.js';
import type { User } from '../types.js';
import { storage } from './storage.js';
import { Store } from './store.js';

export interface SessionState {
  me: User | null;
  /** False until the first check of the session has answered. */
  authChecked: boolean;
}

export type ProfilePatch = Partial<Pick<User, 'displayName' | 'gender' | 'avatar'>> & {
  currentPassword?: string;
  newPassword?: string;
};

/** Who is signed in. */
export class Session {
  readonly store = new Store<SessionState>({ me: null, authChecked: false });

  get me(): User | null {
    return this.store.value.me;
  }

  /** Asks the server who the cookies belong to. */
  async check(): Promise<User | null> {
    let me: User | null;
    try {
      me = (await api.get<{ user: User }>('/api/me')).user;
    } catch {
      me = null;
    }
    this.store.set({ me, authChecked: true });
    return me;
  }

  async login(login: string, password: string): Promise<User> {
    const { user } = await api.post<{ user: User }>('/api/auth/login', { login, password });
    this.store.set({ me: user, authChecked: true });
    return user;
  }

  /** Ends the session on the server (if it still exists) and tells the other tabs. */
  async logout(): Promise<void> {
    try {
      await api.post('/api/auth/logout', undefined, { retry: false });
    } catch {
      /* the cookies may already be gone; sign out locally anyway */
    }
    storage.broadcastSignOut();
  }

  async updateProfile(patch: ProfilePatch): Promise<User> {
    const { user } = await api.patch<{ user: User }>('/api/me', patch);
    this.setMe(user);
    return user;
  }

  setMe(me: User): void {
    this.store.set({ ...this.store.value, me });
  }

  clear(): void {
    this.store.set({ me: null, authChecked: this.store.value.authChecked });
  }
}
