import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { loadConfig } from '../../server/config.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/app.js';

// The usual umask, under which files a process creates are readable by every local user unless it says otherwise.
process.umask(0o022);

const modeOf = (file: string) => '0' + (statSync(file).mode & 0o777).toString(8);
const newUser = { passwordHash: 'x', displayName: 'P', gender: 'unspecified' as const, avatar: null };

t.test('a new data directory, the database with its -wal and -shm, and the uploads are private', async (t) => {
  const root = tempDir();
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = path.join(root, 'data');
  const db = path.join(dataDir, 'parley.db');
  const store = new SqliteStore({ file: db });
  t.teardown(() => store.close());
  await store.createUser({ ...newUser, username: 'perm', email: 'perm@example.com' });
  await store.blobs.put('abcdef', Buffer.from('image bytes'));
  t.same(
    {
      dataDir: modeOf(dataDir),
      db: modeOf(db),
      wal: modeOf(`${db}-wal`),
      shm: modeOf(`${db}-shm`),
      uploads: modeOf(path.join(dataDir, 'uploads')),
      uploadsPrefix: modeOf(path.join(dataDir, 'uploads', 'ab')),
      upload: modeOf(path.join(dataDir, 'uploads', 'ab', 'abcdef')),
    },
    { dataDir: '0700', db: '0600', wal: '0600', shm: '0600', uploads: '0700', uploadsPrefix: '0700', upload: '0600' },
  );
});

t.test('the data directory the configuration creates (for the JWT secret) is private', async (t) => {
  const root = tempDir();
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = path.join(root, 'data');
  loadConfig({ DATA_DIR: dataDir });
  t.equal(modeOf(dataDir), '0700');
  t.equal(modeOf(path.join(dataDir, 'jwt-secret')), '0600');
});

t.test('a database and uploads from before are made private when the store opens', async (t) => {
  const dataDir = tempDir();
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const db = path.join(dataDir, 'parley.db');
  // An older Parley's files, -wal and -shm included (another connection has the database open).
  const other = new Database(db);
  t.teardown(() => other.close());
  other.pragma('journal_mode = WAL');
  other.exec('CREATE TABLE leftover (x)');
  const uploads = path.join(dataDir, 'uploads');
  mkdirSync(path.join(uploads, 'ol'), { recursive: true });
  writeFileSync(path.join(uploads, 'ol', 'old'), 'image bytes');
  for (const file of [db, `${db}-wal`, `${db}-shm`, path.join(uploads, 'ol', 'old')]) chmodSync(file, 0o644);
  for (const dir of [uploads, path.join(uploads, 'ol')]) chmodSync(dir, 0o755);

  const store = new SqliteStore({ file: db });
  t.teardown(() => store.close());
  t.same(
    { db: modeOf(db), wal: modeOf(`${db}-wal`), shm: modeOf(`${db}-shm`), uploads: modeOf(uploads) },
    { db: '0600', wal: '0600', shm: '0600', uploads: '0700' },
    'the uploads directory closes the older uploads under it',
  );
  t.equal((await store.blobs.get('old'))?.toString(), 'image bytes', 'and the store still reads them');
});
