import Database from 'better-sqlite3';
import t from 'tap';
import { migrate } from '../../server/store/sqlite/migrations.js';
import { RECEIPT_SQL } from '../../server/store/sqlite/receipts.js';

/**
 * Receipts stay cheap in big rooms because of how SQLite runs their statements: the watermarks are index seeks, a
 * grouped delivery write seeks each listed member. A scan here costs a full pass over a room's memberships on every
 * flush and every read receipt, which no functional test would notice.
 */
const plan = (db: Database.Database, sql: string) =>
  (
    db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ roomId: 'r', userId: 'u', seq: 1, users: '[]' }) as Array<{
      detail: string;
    }>
  ).map((row) => row.detail);

t.test('receipt statements use the indexes', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  migrate(db);
  const watermarks = plan(db, RECEIPT_SQL.watermarks);
  t.ok(
    watermarks.some((d) => /memberships USING COVERING INDEX memberships_by_delivered \(room_id=\?\)/.test(d)),
    `delivered-to-all is a seek (${watermarks.join('; ')})`,
  );
  t.ok(
    watermarks.some((d) => /memberships USING COVERING INDEX memberships_by_read \(room_id=\?\)/.test(d)),
    'read-by-all is a seek',
  );
  t.notOk(
    watermarks.some((d) => /TEMP B-TREE/.test(d)),
    'no sort: the first entry of the index range is the minimum',
  );
  const delivered = plan(db, RECEIPT_SQL.markDelivered);
  t.ok(
    delivered.some((d) => /SEARCH memberships USING PRIMARY KEY \(room_id=\? AND user_id=\?\)/.test(d)),
    `a grouped delivery write seeks each listed member (${delivered.join('; ')})`,
  );
  t.ok(
    plan(db, RECEIPT_SQL.markRead).some((d) => /PRIMARY KEY \(room_id=\? AND user_id=\?\)/.test(d)),
    'a read receipt seeks its member',
  );
});
