import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

export interface ConnectionOptions {
  file: string;
  synchronous?: 'FULL' | 'NORMAL';
}

/** Opens the database file (creating its directory), sets the pragmas every connection needs and migrates it. */
export function openDatabase(opts: ConnectionOptions): Database.Database {
  if (opts.file !== ':memory:') mkdirSync(path.dirname(opts.file), { recursive: true });
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
