import type mongoose from 'mongoose';
import type { ClientSession } from 'mongoose';
import { storeErrors } from '../errors.js';
import { newId } from '../../ids.js';
import type { NewUser, PublicUser, Store, User, UserPatch, UserWithSecret } from '../store.js';
import { duplicateKey, toPublicUser, toUser, toUserWithSecret } from './mappers.js';
import type { Models, UserDoc } from './models.js';

type UserMethods =
  'createUser' | 'getUser' | 'getUserSecret' | 'findUserForLogin' | 'findUserByUsername' | 'updateUser';

/**
 * Users and their credentials. Usernames and emails are unique through lower-cased key fields with unique indexes,
 * so a racing registration is refused by the index (E11000), which names the field that collided.
 */
export class MongoUsers implements Pick<Store, UserMethods> {
  constructor(private readonly m: Models) {}

  async createUser(input: NewUser): Promise<User> {
    const now = new Date();
    const doc: UserDoc = {
      _id: newId(),
      username: input.username,
      usernameKey: input.username.toLowerCase(),
      email: input.email,
      emailKey: input.email.toLowerCase(),
      passwordHash: input.passwordHash,
      displayName: input.displayName,
      gender: input.gender,
      avatar: input.avatar,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.m.users.create(doc);
    } catch (err) {
      const dup = duplicateKey(err);
      if (dup) {
        if ('usernameKey' in dup.keyPattern || dup.message.includes('usernameKey')) {
          throw storeErrors.usernameTaken();
        }
        if ('emailKey' in dup.keyPattern || dup.message.includes('emailKey')) {
          throw storeErrors.emailTaken();
        }
      }
      throw err;
    }
    return toUser(doc);
  }

  private async userDoc(filter: mongoose.FilterQuery<UserDoc>): Promise<UserDoc | null> {
    return this.m.users.findOne(filter).lean<UserDoc>().exec();
  }

  async getUser(id: string): Promise<User | null> {
    const u = await this.userDoc({ _id: id });
    return u ? toUser(u) : null;
  }

  async getUserSecret(id: string): Promise<UserWithSecret | null> {
    const u = await this.userDoc({ _id: id });
    return u ? toUserWithSecret(u) : null;
  }

  async findUserForLogin(login: string): Promise<UserWithSecret | null> {
    const key = login.toLowerCase();
    const u = await this.userDoc({ $or: [{ usernameKey: key }, { emailKey: key }] });
    return u ? toUserWithSecret(u) : null;
  }

  async findUserByUsername(username: string): Promise<User | null> {
    const u = await this.userDoc({ usernameKey: username.toLowerCase() });
    return u ? toUser(u) : null;
  }

  async updateUser(id: string, patch: UserPatch): Promise<User> {
    const set: Partial<UserDoc> = { updatedAt: new Date() };
    if (patch.displayName !== undefined) set.displayName = patch.displayName;
    if (patch.gender !== undefined) set.gender = patch.gender;
    if (patch.avatar !== undefined) set.avatar = patch.avatar;
    if (patch.passwordHash !== undefined) set.passwordHash = patch.passwordHash;
    const u = await this.m.users.findOneAndUpdate({ _id: id }, { $set: set }, { new: true }).lean<UserDoc>().exec();
    if (!u) throw storeErrors.userNotFound();
    return toUser(u);
  }

  /** Current public profiles by id (messages and members show people as they are now, like the SQLite join). */
  async publicUsers(ids: string[], session?: ClientSession): Promise<Map<string, PublicUser>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const docs = await this.m.users
      .find({ _id: { $in: unique } }, { username: 1, displayName: 1, gender: 1, avatar: 1 }, { session })
      .lean<UserDoc[]>()
      .exec();
    return new Map(docs.map((u) => [u._id, toPublicUser(u)]));
  }
}
