import type { PublicUser, User } from '../store/store.js';

/** What anyone may see of a user: the account's email and timestamps stay with its owner. */
export function publicUser(user: User): PublicUser {
  const { id, username, displayName, gender, avatar } = user;
  return { id, username, displayName, gender, avatar };
}
