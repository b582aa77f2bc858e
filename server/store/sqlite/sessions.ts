import type Database from 'better-sqlite3';
import { newId, nowIso } from '../../ids.js';
import type { ApiToken, RefreshUse, Session } from '../store.js';

interface SessionRow {
  id: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

interface RefreshRow {
  token_hash: string;
  session_id: string;
  expires_at: string;
  used_at: string | null;
}

interface ApiTokenRow {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
}

function toSession(r: SessionRow): Session {
  return {
    id: r.id,
    userId: r.user_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at ?? null,
  };
}

function toApiToken(r: ApiTokenRow): ApiToken {
  return { id: r.id, userId: r.user_id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at ?? null };
}

/** Login sessions with their refresh tokens (one family per session), and personal API tokens. */
export class SqliteSessions {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      insertSession: db.prepare<[string, string, string, string]>(
        `INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
      ),
      sessionById: db.prepare<[string], SessionRow>(`SELECT * FROM sessions WHERE id = ?`),
      revokeSession: db.prepare<[string, string]>(
        `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
      ),
      liveSessionsOfUser: db.prepare<[string, string | null], { id: string }>(
        `SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND id IS NOT ?`,
      ),
      insertRefresh: db.prepare<[string, string, string]>(
        `INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES (?, ?, ?)`,
      ),
      refreshByHash: db.prepare<[string], RefreshRow>(`SELECT * FROM refresh_tokens WHERE token_hash = ?`),
      markRefreshUsed: db.prepare<[string, string]>(
        `UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`,
      ),
      deleteExpiredRefresh: db.prepare<[string]>(`DELETE FROM refresh_tokens WHERE expires_at < ?`),
      insertApiToken: db.prepare<[string, string, string, string, string]>(
        `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      apiTokensOfUser: db.prepare<[string], ApiTokenRow>(
        `SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id`,
      ),
      deleteApiToken: db.prepare<[string, string]>(`DELETE FROM api_tokens WHERE user_id = ? AND id = ?`),
      apiTokenByHash: db.prepare<[string], ApiTokenRow>(`SELECT * FROM api_tokens WHERE token_hash = ?`),
      touchApiToken: db.prepare<[string, string]>(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`),
    };
  }

  createSession(input: { userId: string; expiresAt: string }): Session {
    const id = newId();
    this.stmts.insertSession.run(id, input.userId, nowIso(), input.expiresAt);
    return toSession(this.stmts.sessionById.get(id)!);
  }

  getSession(id: string): Session | null {
    const r = this.stmts.sessionById.get(id);
    return r ? toSession(r) : null;
  }

  revokeSession(id: string): void {
    this.stmts.revokeSession.run(nowIso(), id);
  }

  revokeUserSessions(userId: string, exceptSessionId?: string): string[] {
    return this.db.transaction(() => {
      const ids = this.stmts.liveSessionsOfUser.all(userId, exceptSessionId ?? null).map((r) => r.id);
      const now = nowIso();
      for (const id of ids) this.stmts.revokeSession.run(now, id);
      return ids;
    })();
  }

  addRefreshToken(input: { sessionId: string; tokenHash: string; expiresAt: string }): void {
    this.stmts.insertRefresh.run(input.tokenHash, input.sessionId, input.expiresAt);
  }

  useRefreshToken(tokenHash: string, now: string): RefreshUse {
    return this.db.transaction((): RefreshUse => {
      this.stmts.deleteExpiredRefresh.run(now);
      const token = this.stmts.refreshByHash.get(tokenHash);
      if (!token) return { status: 'invalid' };
      if (token.used_at) {
        this.stmts.revokeSession.run(now, token.session_id);
        return { status: 'reused', sessionId: token.session_id };
      }
      this.stmts.markRefreshUsed.run(now, tokenHash);
      const session = toSession(this.stmts.sessionById.get(token.session_id)!);
      if (session.revokedAt || session.expiresAt <= now) return { status: 'invalid' };
      return { status: 'ok', session };
    })();
  }

  createApiToken(input: { userId: string; name: string; tokenHash: string }): ApiToken {
    this.stmts.insertApiToken.run(newId(), input.userId, input.name, input.tokenHash, nowIso());
    return toApiToken(this.stmts.apiTokenByHash.get(input.tokenHash)!);
  }

  listApiTokens(userId: string): ApiToken[] {
    return this.stmts.apiTokensOfUser.all(userId).map(toApiToken);
  }

  deleteApiToken(userId: string, id: string): boolean {
    return this.stmts.deleteApiToken.run(userId, id).changes > 0;
  }

  useApiToken(tokenHash: string, now: string): ApiToken | null {
    const r = this.stmts.apiTokenByHash.get(tokenHash);
    if (!r) return null;
    // A write (and its fsync) per request would halve a script's posting rate; the minute is what a user reads.
    if (r.last_used_at && Date.parse(now) - Date.parse(r.last_used_at) < 60_000) return toApiToken(r);
    try {
      this.stmts.touchApiToken.run(now, r.id);
    } catch {
      // Recording use is bookkeeping: a full or failing disk must not turn the request it authenticates into an error.
      return toApiToken(r);
    }
    return { ...toApiToken(r), lastUsedAt: now };
  }
}
