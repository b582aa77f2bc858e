import type Database from 'better-sqlite3';

/**
 * Versioned schema migrations, applied in order inside one transaction each; PRAGMA user_version records the
 * last one applied. Never edit a released migration: append a new one.
 */
export const MIGRATIONS: string[] = [
  // 1: accounts, rooms, the event log and the messages read model.
  `
  CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL COLLATE NOCASE UNIQUE,
    email         TEXT NOT NULL COLLATE NOCASE UNIQUE,
    password_hash TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    gender        TEXT NOT NULL,
    avatar        TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
  );

  CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
  );
  CREATE INDEX sessions_by_user ON sessions(user_id);

  CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    used_at    TEXT
  ) WITHOUT ROWID;
  CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);

  CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
  );
  CREATE INDEX api_tokens_by_user ON api_tokens(user_id);

  CREATE TABLE rooms (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    topic      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('public', 'private', 'direct')),
    owner_id   TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_seq   INTEGER NOT NULL DEFAULT 0,
    deleted_at TEXT
  );
  CREATE INDEX rooms_public ON rooms(kind, created_at) WHERE deleted_at IS NULL;

  CREATE TABLE memberships (
    room_id       TEXT NOT NULL REFERENCES rooms(id),
    user_id       TEXT NOT NULL REFERENCES users(id),
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at     TEXT NOT NULL,
    delivered_seq INTEGER NOT NULL DEFAULT 0,
    read_seq      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
  ) WITHOUT ROWID;
  CREATE INDEX memberships_by_user ON memberships(user_id);

  CREATE TABLE room_events (
    room_id  TEXT NOT NULL REFERENCES rooms(id),
    seq      INTEGER NOT NULL,
    type     TEXT NOT NULL,
    actor_id TEXT,
    at       TEXT NOT NULL,
    data     TEXT NOT NULL,
    PRIMARY KEY (room_id, seq)
  ) WITHOUT ROWID;

  CREATE TABLE messages (
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    seq         INTEGER NOT NULL,
    author_id   TEXT NOT NULL REFERENCES users(id),
    text        TEXT,
    attachments TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    edited_at   TEXT,
    deleted_at  TEXT,
    PRIMARY KEY (room_id, seq)
  ) WITHOUT ROWID;
  `,
  // 2: direct rooms have one row per pair of users.
  `
  ALTER TABLE rooms ADD COLUMN direct_key TEXT;
  CREATE UNIQUE INDEX rooms_direct_key ON rooms(direct_key) WHERE direct_key IS NOT NULL;
  `,
  // 3: uploaded images; messages keep their attachments' metadata as JSON objects.
  `
  CREATE TABLE uploads (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users(id),
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    message_seq INTEGER,
    created_at  TEXT NOT NULL
  );
  CREATE INDEX uploads_unused ON uploads(created_at) WHERE message_seq IS NULL;
  CREATE INDEX uploads_by_message ON uploads(room_id, message_seq) WHERE message_seq IS NOT NULL;
  `,
  // 4: a client's key for a post, unique per author and room, so a retried POST finds its message.
  `
  ALTER TABLE messages ADD COLUMN client_id TEXT;
  CREATE UNIQUE INDEX messages_by_client_id ON messages(room_id, author_id, client_id) WHERE client_id IS NOT NULL;
  `,
  // 5: events that carry a message know its seq, so an edit or a delete can redact every earlier copy of its text;
  // copies stored before this version are redacted here.
  `
  ALTER TABLE room_events ADD COLUMN message_seq INTEGER;
  UPDATE room_events SET message_seq = json_extract(data, '$.payload.message.seq')
    WHERE type IN ('message.created', 'message.edited', 'message.deleted');
  CREATE INDEX room_events_by_message ON room_events(room_id, message_seq) WHERE message_seq IS NOT NULL;
  UPDATE room_events SET data = (
      SELECT json_set(room_events.data,
        '$.payload.message.text', m.text,
        '$.payload.message.attachments', json(m.attachments),
        '$.payload.message.editedAt', m.edited_at,
        '$.payload.message.deletedAt', m.deleted_at)
      FROM messages m WHERE m.room_id = room_events.room_id AND m.seq = room_events.message_seq)
    WHERE message_seq IS NOT NULL
      AND EXISTS (SELECT 1 FROM messages m WHERE m.room_id = room_events.room_id AND m.seq = room_events.message_seq
                  AND (m.deleted_at IS NOT NULL OR m.edited_at IS NOT NULL));
  `,
  // 6: replies and threads. A reply keeps its parent's seq and its thread's root seq; a root keeps its thread's
  // summary (kept current by every change to its replies), so history pages read it without aggregating.
  `
  ALTER TABLE messages ADD COLUMN reply_to_seq INTEGER;
  ALTER TABLE messages ADD COLUMN thread_seq INTEGER;
  ALTER TABLE messages ADD COLUMN thread_replies INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN thread_last_reply_at TEXT;
  ALTER TABLE messages ADD COLUMN thread_participants TEXT NOT NULL DEFAULT '[]';
  CREATE INDEX messages_by_parent ON messages(room_id, reply_to_seq) WHERE reply_to_seq IS NOT NULL;
  CREATE INDEX messages_by_thread ON messages(room_id, thread_seq, seq) WHERE thread_seq IS NOT NULL;
  `,
  // 7: full-text search. message_search numbers the messages in the order they were posted (the FTS rowid, so that
  // newest-first is the index's own order) and keeps what the operators filter on; messages_fts is a contentless
  // FTS5 index over the live text. Triggers keep both in the transaction of every write to messages (post, edit,
  // delete); existing messages are indexed here.
  `
  CREATE TABLE message_search (
    id         INTEGER PRIMARY KEY,
    room_id    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    author_id  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (room_id, seq)
  );
  CREATE INDEX message_search_by_author ON message_search(author_id);
  CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
  );
  INSERT INTO message_search (room_id, seq, author_id, created_at)
    SELECT room_id, seq, author_id, created_at FROM messages ORDER BY created_at, room_id, seq;
  INSERT INTO messages_fts (rowid, text)
    SELECT s.id, m.text FROM message_search s JOIN messages m ON m.room_id = s.room_id AND m.seq = s.seq
    WHERE m.text IS NOT NULL AND m.deleted_at IS NULL;
  CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (room_id, seq, author_id, created_at)
      VALUES (new.room_id, new.seq, new.author_id, new.created_at);
    INSERT INTO messages_fts (rowid, text)
      SELECT id, new.text FROM message_search WHERE room_id = new.room_id AND seq = new.seq
        AND new.text IS NOT NULL AND new.deleted_at IS NULL;
  END;
  CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted_at ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = (SELECT id FROM message_search WHERE room_id = old.room_id AND seq = old.seq);
    INSERT INTO messages_fts (rowid, text)
      SELECT id, new.text FROM message_search WHERE room_id = new.room_id AND seq = new.seq
        AND new.text IS NOT NULL AND new.deleted_at IS NULL;
  END;
  CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = (SELECT id FROM message_search WHERE room_id = old.room_id AND seq = old.seq);
    DELETE FROM message_search WHERE room_id = old.room_id AND seq = old.seq;
  END;
  `,
  // 8: reactions (one per message, emoji and user) and pins (one per message). `added_seq` / `pin_seq` are the
  // seqs of the events that made them: a total order within the room, where timestamps can tie.
  `
  CREATE TABLE reactions (
    room_id   TEXT NOT NULL REFERENCES rooms(id),
    seq       INTEGER NOT NULL,
    emoji     TEXT NOT NULL,
    user_id   TEXT NOT NULL REFERENCES users(id),
    added_seq INTEGER NOT NULL,
    PRIMARY KEY (room_id, seq, emoji, user_id)
  ) WITHOUT ROWID;
  CREATE TABLE pins (
    room_id   TEXT NOT NULL REFERENCES rooms(id),
    seq       INTEGER NOT NULL,
    pinned_by TEXT NOT NULL REFERENCES users(id),
    pinned_at TEXT NOT NULL,
    pin_seq   INTEGER NOT NULL,
    PRIMARY KEY (room_id, seq)
  ) WITHOUT ROWID;
  `,
  // 9: mentions. A message keeps whom its text names; `mentions` has one row per member a message mentions (by name,
  // @room, or @here while online: `here`), for unread mention counts and the mentions inbox. Memberships get a
  // notification level (direct rooms notify on every message) and a mute. Earlier messages mention no one.
  `
  ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE messages ADD COLUMN mentions_room INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN mentions_here INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE mentions (
    user_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    at      TEXT NOT NULL,
    here    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, room_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX mentions_by_time ON mentions(user_id, at, room_id, seq);
  CREATE INDEX mentions_by_message ON mentions(room_id, seq);
  ALTER TABLE memberships ADD COLUMN notify TEXT NOT NULL DEFAULT 'mentions'
    CHECK (notify IN ('all', 'mentions', 'none'));
  ALTER TABLE memberships ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
  UPDATE memberships SET notify = 'all' WHERE room_id IN (SELECT id FROM rooms WHERE kind = 'direct');
  `,
  // 10: search by author inside the index. messages_fts gains an `author` column holding one token per message
  // ('a' and the author id in hex: letters and digits only), so `from:` joins the text match inside FTS5 (which
  // seeks through both lists) instead of checking every match of a common phrase row by row. Rebuilt and refilled.
  `
  DROP TRIGGER messages_search_insert;
  DROP TRIGGER messages_search_update;
  DROP TRIGGER messages_search_delete;
  DROP TABLE messages_fts;
  CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, author, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
  );
  INSERT INTO messages_fts (rowid, text, author)
    SELECT s.id, m.text, 'a' || lower(hex(m.author_id))
    FROM message_search s JOIN messages m ON m.room_id = s.room_id AND m.seq = s.seq
    WHERE m.text IS NOT NULL AND m.deleted_at IS NULL;
  CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (room_id, seq, author_id, created_at)
      VALUES (new.room_id, new.seq, new.author_id, new.created_at);
    INSERT INTO messages_fts (rowid, text, author)
      SELECT id, new.text, 'a' || lower(hex(new.author_id)) FROM message_search
      WHERE room_id = new.room_id AND seq = new.seq AND new.text IS NOT NULL AND new.deleted_at IS NULL;
  END;
  CREATE TRIGGER messages_search_update AFTER UPDATE OF text, deleted_at ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = (SELECT id FROM message_search WHERE room_id = old.room_id AND seq = old.seq);
    INSERT INTO messages_fts (rowid, text, author)
      SELECT id, new.text, 'a' || lower(hex(new.author_id)) FROM message_search
      WHERE room_id = new.room_id AND seq = new.seq AND new.text IS NOT NULL AND new.deleted_at IS NULL;
  END;
  CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = (SELECT id FROM message_search WHERE room_id = old.room_id AND seq = old.seq);
    DELETE FROM message_search WHERE room_id = old.room_id AND seq = old.seq;
  END;
  `,
  // 11: receipt watermarks by index. A room's delivered-to-all and read-by-all are the smallest delivered_seq and
  // read_seq of its members: with these, each is the first entry of the room's range (a seek), not a scan of every
  // membership, which a big room's stream starts and receipt flushes would otherwise pay each time.
  `
  CREATE INDEX memberships_by_delivered ON memberships(room_id, delivered_seq);
  CREATE INDEX memberships_by_read ON memberships(room_id, read_seq);
  `,
  // 12: bases of multi-room stream ids (realtime/stream-cursor.ts), by the hash that names them; used_at in ms since
  // the epoch, for pruning those unused for 30 days.
  `
  CREATE TABLE cursor_bases (
    id TEXT PRIMARY KEY,
    positions TEXT NOT NULL,
    used_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX cursor_bases_by_use ON cursor_bases(used_at);
  `,
];

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this Parley (${MIGRATIONS.length}); upgrade Parley`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
