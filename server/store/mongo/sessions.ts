import type mongoose from 'mongoose';
import { newId } from '../../ids.js';
import type { ApiToken, RefreshUse, Session, Store } from '../store.js';
import { toApiToken, toSession } from './mappers.js';
import type { ApiTokenDoc, Models, RefreshTokenDoc, SessionDoc } from './models.js';

type SessionMethods =
  | 'createSession'
  | 'getSession'
  | 'revokeSession'
  | 'revokeUserSessions'
  | 'addRefreshToken'
  | 'useRefreshToken'
  | 'createApiToken'
  | 'listApiTokens'
  | 'deleteApiToken'
  | 'useApiToken';

/** Login sessions with their refresh tokens, and personal API tokens. Tokens are stored by hash only. */
export class MongoSessions implements Pick<Store, SessionMethods> {
  constructor(private readonly m: Models) {}

  async createSession(input: { userId: string; expiresAt: string }): Promise<Session> {
    const doc: SessionDoc = {
      _id: newId(),
      userId: input.userId,
      createdAt: new Date(),
      expiresAt: new Date(input.expiresAt),
      revokedAt: null,
    };
    await this.m.sessions.create(doc);
    return toSession(doc);
  }

  async getSession(id: string): Promise<Session | null> {
    const s = await this.m.sessions.findOne({ _id: id }).lean<SessionDoc>().exec();
    return s ? toSession(s) : null;
  }

  async revokeSession(id: string): Promise<void> {
    await this.m.sessions.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: new Date() } }).exec();
  }

  async revokeUserSessions(userId: string, exceptSessionId?: string): Promise<string[]> {
    const filter: mongoose.FilterQuery<SessionDoc> = { userId, revokedAt: null };
    if (exceptSessionId !== undefined) filter._id = { $ne: exceptSessionId };
    const live = await this.m.sessions.find(filter, { _id: 1 }).lean<Array<Pick<SessionDoc, '_id'>>>().exec();
    const ids = live.map((s) => s._id);
    if (ids.length > 0) {
      const revoke = { $set: { revokedAt: new Date() } };
      await this.m.sessions.updateMany({ _id: { $in: ids }, revokedAt: null }, revoke).exec();
    }
    return ids;
  }

  async addRefreshToken(input: { sessionId: string; tokenHash: string; expiresAt: string }): Promise<void> {
    await this.m.refreshTokens.create({
      _id: input.tokenHash,
      sessionId: input.sessionId,
      expiresAt: new Date(input.expiresAt),
      usedAt: null,
    });
  }

  /**
   * Marking the token used is one atomic findOneAndUpdate (filter usedAt: null), so of two concurrent uses exactly
   * one wins; the other finds it used, which is a replay, and revokes the session. Expired tokens count as missing
   * (the TTL index deletes them only about once a minute).
   */
  async useRefreshToken(tokenHash: string, now: string): Promise<RefreshUse> {
    const at = new Date(now);
    const claimed = await this.m.refreshTokens
      .findOneAndUpdate(
        { _id: tokenHash, usedAt: null, expiresAt: { $gte: at } },
        { $set: { usedAt: at } },
        { new: true },
      )
      .lean<RefreshTokenDoc>()
      .exec();
    if (!claimed) {
      const token = await this.m.refreshTokens
        .findOne({ _id: tokenHash, expiresAt: { $gte: at } })
        .lean<RefreshTokenDoc>()
        .exec();
      if (!token || !token.usedAt) return { status: 'invalid' };
      await this.m.sessions.updateOne({ _id: token.sessionId, revokedAt: null }, { $set: { revokedAt: at } }).exec();
      return { status: 'reused', sessionId: token.sessionId };
    }
    const s = await this.m.sessions.findOne({ _id: claimed.sessionId }).lean<SessionDoc>().exec();
    if (!s) return { status: 'invalid' };
    const session = toSession(s);
    if (session.revokedAt || session.expiresAt <= now) return { status: 'invalid' };
    return { status: 'ok', session };
  }

  async createApiToken(input: { userId: string; name: string; tokenHash: string }): Promise<ApiToken> {
    const doc: ApiTokenDoc = {
      _id: newId(),
      userId: input.userId,
      name: input.name,
      tokenHash: input.tokenHash,
      createdAt: new Date(),
      lastUsedAt: null,
    };
    await this.m.apiTokens.create(doc);
    return toApiToken(doc);
  }

  async listApiTokens(userId: string): Promise<ApiToken[]> {
    const docs = await this.m.apiTokens.find({ userId }).sort({ createdAt: -1, _id: 1 }).lean<ApiTokenDoc[]>().exec();
    return docs.map(toApiToken);
  }

  async deleteApiToken(userId: string, id: string): Promise<boolean> {
    const res = await this.m.apiTokens.deleteOne({ _id: id, userId }).exec();
    return res.deletedCount > 0;
  }

  async useApiToken(tokenHash: string, now: string): Promise<ApiToken | null> {
    // Record the use at most once a minute: a majority write per request would cost a script most of its rate.
    const at = new Date(now);
    const stale = new Date(at.getTime() - 60_000);
    // Recording use is bookkeeping: a write that fails must not fail the request the token authenticates.
    const touched = await this.m.apiTokens
      .findOneAndUpdate(
        { tokenHash, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: stale } }] },
        { $set: { lastUsedAt: at } },
        { new: true },
      )
      .lean<ApiTokenDoc>()
      .exec()
      .catch(() => null);
    const t = touched ?? (await this.m.apiTokens.findOne({ tokenHash }).lean<ApiTokenDoc>().exec());
    return t ? toApiToken(t) : null;
  }
}
