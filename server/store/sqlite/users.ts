import type Database from 'better-sqlite3';
import { newId, nowIso } from '../../ids.js';
import { storeErrors } from '../errors.js';
import type { Avatar, Gender, NewUser, PublicUser, User, UserPatch, UserWithSecret } from '../store.js';

/** The public profile's columns, as other aggregates' queries join them under a prefix (`a_id`, `p_username` ...). */
export interface PublicUserColumns {
  id: string;
  username: string;
  display_name: string;
  gender: string;
  avatar: string | null;
}

/** The profile columns under a prefix, as publicUserColumns(alias, prefix) selects them. */
export type PrefixedProfile<P extends string> = { [K in keyof PublicUserColumns as `${P}${K}`]: PublicUserColumns[K] };

interface ProfileRow extends PublicUserColumns {
  email: string;
  created_at: string;
  updated_at: string;
}

interface UserRow extends ProfileRow {
  password_hash: string;
}

const USER_COLS = 'u.id, u.username, u.email, u.display_name, u.gender, u.avatar, u.created_at, u.updated_at';

/** Selects the public profile of the users row aliased `alias` as columns named `${prefix}id` and so on. */
export function publicUserColumns(alias: string, prefix: string): string {
  return (['id', 'username', 'display_name', 'gender', 'avatar'] as const)
    .map((column) => `${alias}.${column} AS ${prefix}${column}`)
    .join(', ');
}

/** The public profile from a row whose profile columns carry `prefix` (see publicUserColumns). */
export function toPublicUser<P extends string = ''>(r: PrefixedProfile<P>, prefix = '' as P): PublicUser {
  const row = r as Record<string, unknown>;
  return {
    id: row[`${prefix}id`] as string,
    username: row[`${prefix}username`] as string,
    displayName: row[`${prefix}display_name`] as string,
    gender: row[`${prefix}gender`] as Gender,
    avatar: (row[`${prefix}avatar`] ?? null) as Avatar | null,
  };
}

function toUser(r: ProfileRow): User {
  return { ...toPublicUser(r), email: r.email, createdAt: r.created_at, updatedAt: r.updated_at };
}

function toUserWithSecret(r: UserRow): UserWithSecret {
  return { ...toUser(r), passwordHash: r.password_hash };
}

function isUniqueViolation(err: unknown): err is Error & { code: string } {
  return (
    typeof err === 'object' && err !== null && String((err as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')
  );
}

/** Accounts: profiles and their password hashes. */
export class SqliteUsers {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      insert: db.prepare<NewUser & { id: string; now: string }>(
        `INSERT INTO users (id, username, email, password_hash, display_name, gender, avatar, created_at, updated_at)
         VALUES (@id, @username, @email, @passwordHash, @displayName, @gender, @avatar, @now, @now)`,
      ),
      byId: db.prepare<[string], UserRow>(`SELECT ${USER_COLS}, u.password_hash FROM users u WHERE u.id = ?`),
      byLogin: db.prepare<{ login: string }, UserRow>(
        `SELECT ${USER_COLS}, u.password_hash FROM users u WHERE u.username = @login OR u.email = @login`,
      ),
      byUsername: db.prepare<[string], ProfileRow>(`SELECT ${USER_COLS} FROM users u WHERE u.username = ?`),
    };
  }

  create(input: NewUser): User {
    const id = newId();
    try {
      this.stmts.insert.run({ ...input, id, now: nowIso() });
    } catch (err) {
      if (isUniqueViolation(err)) {
        if (err.message.includes('users.username')) throw storeErrors.usernameTaken();
        if (err.message.includes('users.email')) throw storeErrors.emailTaken();
      }
      throw err;
    }
    return this.get(id)!;
  }

  get(id: string): User | null {
    const r = this.stmts.byId.get(id);
    return r ? toUser(r) : null;
  }

  getSecret(id: string): UserWithSecret | null {
    const r = this.stmts.byId.get(id);
    return r ? toUserWithSecret(r) : null;
  }

  findForLogin(login: string): UserWithSecret | null {
    const r = this.stmts.byLogin.get({ login });
    return r ? toUserWithSecret(r) : null;
  }

  findByUsername(username: string): User | null {
    const r = this.stmts.byUsername.get(username);
    return r ? toUser(r) : null;
  }

  update(id: string, patch: UserPatch): User {
    const sets: string[] = [];
    const values: Record<string, unknown> = { id, now: nowIso() };
    const columns = {
      displayName: 'display_name',
      gender: 'gender',
      avatar: 'avatar',
      passwordHash: 'password_hash',
    } as const;
    for (const [field, column] of Object.entries(columns) as [keyof typeof columns, string][]) {
      if (patch[field] === undefined) continue;
      sets.push(`${column} = @${field}`);
      values[field] = patch[field];
    }
    sets.push('updated_at = @now');
    const info = this.db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE id = @id`).run(values);
    if (info.changes === 0) throw storeErrors.userNotFound();
    return this.get(id)!;
  }
}
