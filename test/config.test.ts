import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../server/config.js';
import { tempDir } from './helpers/app.js';

t.test('defaults, durations and validation', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const c = loadConfig({ DATA_DIR: dir });
  t.equal(c.port, 3000);
  t.equal(c.accessTokenTtlMs, 15 * 60_000);
  t.equal(c.sessionTtlMs, 24 * 3_600_000);
  t.equal(c.heartbeatMs, 15_000);
  t.equal(c.receiptBatchMs, 1000, 'delivery receipts are written once a second');
  t.equal(
    loadConfig({ DATA_DIR: dir, ACCESS_TOKEN_TTL: '90' }).accessTokenTtlMs,
    90_000,
    'bare numbers are seconds for TTLs',
  );
  t.equal(loadConfig({ DATA_DIR: dir, HEARTBEAT_MS: '250' }).heartbeatMs, 250, 'and milliseconds for *_MS');
  t.equal(loadConfig({ DATA_DIR: dir, RECEIPT_BATCH_MS: '2s' }).receiptBatchMs, 2000);
  const bad = (env: Record<string, string>) => {
    try {
      loadConfig({ DATA_DIR: dir, ...env });
      return null;
    } catch (err) {
      return err instanceof ConfigError ? err.message : String(err);
    }
  };
  t.match(bad({ PORT: '70000' }), /PORT/);
  t.match(bad({ SESSION_TTL: 'forever' }), /SESSION_TTL/);
  t.match(bad({ ACCESS_TOKEN_TTL: '0' }), /ACCESS_TOKEN_TTL/);
  t.match(bad({ MONGODB_URI: 'http://x' }), /MONGODB_URI/);
  t.match(
    bad({ MONGODB_URI: 'mongodb://localhost/parley' }),
    /JWT_SECRET: required/,
    'mongo mode needs a shared secret',
  );
  t.equal(bad({ MONGODB_URI: 'mongodb://a:1,b:2/parley?replicaSet=rs0', JWT_SECRET: 'x'.repeat(40) }), null);
});

t.test('the generated JWT secret is kept in DATA_DIR and reused', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = loadConfig({ DATA_DIR: dir });
  const b = loadConfig({ DATA_DIR: dir });
  t.equal(a.jwtSecret, b.jwtSecret);
  t.ok(a.jwtSecret.length >= 32);
  t.equal(readFileSync(path.join(dir, 'jwt-secret'), 'utf8').trim(), a.jwtSecret);
  t.equal(
    loadConfig({ DATA_DIR: dir, JWT_SECRET: 'y'.repeat(32) }).jwtSecret,
    'y'.repeat(32),
    'an explicit secret wins',
  );
});

t.test('.env.example lists every variable config.ts reads', async (t) => {
  const example = readFileSync(path.resolve(import.meta.dirname, '../.env.example'), 'utf8');
  const source = readFileSync(path.resolve(import.meta.dirname, '../server/config.ts'), 'utf8');
  const schema = source.slice(source.indexOf('const EnvSchema'), source.indexOf('export type Env'));
  const keys = [...schema.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
  t.ok(keys.length >= 10, `found ${keys.length} variables`);
  for (const key of keys) t.match(example, new RegExp(`^#?${key}=`, 'm'), `${key} is documented`);
});
