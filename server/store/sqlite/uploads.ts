import type Database from 'better-sqlite3';
import { nowIso } from '../../ids.js';
import { storeErrors } from '../errors.js';
import type { Attachment, Upload } from '../store.js';

interface UploadRow {
  id: string;
  owner_id: string;
  room_id: string;
  media_type: string;
  size: number;
  width: number;
  height: number;
  message_seq: number | null;
  created_at: string;
}

function toAttachment(r: UploadRow): Attachment {
  return { id: r.id, mediaType: r.media_type, size: r.size, width: r.width, height: r.height };
}

function toUpload(r: UploadRow): Upload {
  return {
    ...toAttachment(r),
    ownerId: r.owner_id,
    roomId: r.room_id,
    messageSeq: r.message_seq ?? null,
    createdAt: r.created_at,
  };
}

/** Uploaded images' metadata: unused (their uploader's, in one room) until a message uses them. */
export class SqliteUploads {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      insert: db.prepare<Omit<Upload, 'messageSeq'>>(
        `INSERT INTO uploads (id, owner_id, room_id, media_type, size, width, height, created_at)
         VALUES (@id, @ownerId, @roomId, @mediaType, @size, @width, @height, @createdAt)`,
      ),
      byId: db.prepare<[string], UploadRow>(`SELECT * FROM uploads WHERE id = ?`),
      use: db.prepare<[number, string, string, string]>(
        `UPDATE uploads SET message_seq = ? WHERE id = ? AND owner_id = ? AND room_id = ? AND message_seq IS NULL`,
      ),
      ofMessage: db.prepare<[string, number], UploadRow>(`SELECT * FROM uploads WHERE room_id = ? AND message_seq = ?`),
      deleteOfMessage: db.prepare<[string, number]>(`DELETE FROM uploads WHERE room_id = ? AND message_seq = ?`),
      ofRoom: db.prepare<[string], UploadRow>(`SELECT * FROM uploads WHERE room_id = ?`),
      deleteOfRoom: db.prepare<[string]>(`DELETE FROM uploads WHERE room_id = ?`),
      unused: db.prepare<[string], UploadRow>(`SELECT * FROM uploads WHERE message_seq IS NULL AND created_at < ?`),
      delete: db.prepare<[string]>(`DELETE FROM uploads WHERE id = ?`),
    };
  }

  create(upload: Omit<Upload, 'messageSeq' | 'createdAt'>): Upload {
    this.stmts.insert.run({ ...upload, createdAt: nowIso() });
    return toUpload(this.stmts.byId.get(upload.id)!);
  }

  get(id: string): Upload | null {
    const r = this.stmts.byId.get(id);
    return r ? toUpload(r) : null;
  }

  /** Inside a commit: the message (roomId, seq) of `ownerId` uses the upload, which must be an unused one of theirs in
   * that room. */
  attach(id: string, roomId: string, seq: number, ownerId: string): Attachment {
    if (this.stmts.use.run(seq, id, ownerId, roomId).changes === 0) throw storeErrors.invalidAttachment(id);
    return toAttachment(this.stmts.byId.get(id)!);
  }

  /** Inside a commit: removes the uploads a message uses and returns them (their blobs are the caller's to delete). */
  removeOfMessage(roomId: string, seq: number): Upload[] {
    const removed = this.stmts.ofMessage.all(roomId, seq).map(toUpload);
    this.stmts.deleteOfMessage.run(roomId, seq);
    return removed;
  }

  /** Inside a commit: removes every upload of a room (a deleted room keeps no images) and returns them. */
  removeOfRoom(roomId: string): Upload[] {
    const removed = this.stmts.ofRoom.all(roomId).map(toUpload);
    this.stmts.deleteOfRoom.run(roomId);
    return removed;
  }

  removeUnused(before: string): Upload[] {
    return this.db.transaction(() => {
      const gone = this.stmts.unused.all(before).map(toUpload);
      for (const u of gone) this.stmts.delete.run(u.id);
      return gone;
    })();
  }
}
