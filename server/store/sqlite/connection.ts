import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';
import { makePrivate, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';

export interface ConnectionOptions {
  file: string;
  synchronous?: 'FULL' | 'NORMAL';
}

/** Opens the database file (creating its directory), sets the pragmas every connection needs and migrates it. */
export function openDatabase(opts: ConnectionOptions): Database.Database {
  if (opts.file !== ':memory:') prepareFiles(opts.file);
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Statement journals (a savepoint per write in a group commit) and sorts stay in memory: as files they were written
  // to /var/tmp on the event loop, 8-16 ms a write during a 10,000-member reconnect storm (perf trace).
  db.pragma('temp_store = MEMORY');
  migrate(db);
  return db;
}

/**
 * The database file is created 0600 before SQLite opens it: SQLite gives its -wal, -shm and -journal files the
 * database file's mode. Files from before that are made 0600 here. A new directory is 0700; an existing one is left
 * alone, as DATA_DIR may be a directory that others use too.
 */
function prepareFiles(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) makePrivate(f, PRIVATE_FILE_MODE);
}
