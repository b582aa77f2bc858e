import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

/**
 * The local replica set and the connection string the project hands out (review finding 11): checked as text, since
 * no container can run here. CI's MongoDB job starts this very file (test/workflow-lint.test.ts checks the commands).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const compose = read('mongo-replica.yml');
const URI = 'mongodb://mongo1:27017,mongo2:27018,mongo3:27019/parley?replicaSet=rs0';

t.test('every member runs with failpoints enabled, on the port it advertises', async (t) => {
  for (const [name, port] of [
    ['mongo1', '27017'],
    ['mongo2', '27018'],
    ['mongo3', '27019'],
  ]) {
    const block = new RegExp(`\\n  ${name}:\\n([\\s\\S]*?)(?=\\n  [\\w-]+:\\n|\\nvolumes:)`).exec(compose)?.[1] ?? '';
    t.match(block, new RegExp(`--port, '${port}'`), `${name} listens on ${port}`);
    t.match(block, /--setParameter, enableTestCommands=1/, `${name} allows configureFailPoint`);
    t.match(block, new RegExp(`'127\\.0\\.0\\.1:${port}:${port}'`), `${name} is published on 127.0.0.1 only`);
  }
  t.match(compose, /host: 'mongo1:27017'[\s\S]*host: 'mongo2:27018'[\s\S]*host: 'mongo3:27019'/, 'rs0 members');
});

t.test('the healthcheck is cheap: no mongosh every interval', async (t) => {
  const health = /healthcheck:\n([\s\S]*?)\n\n/.exec(compose)?.[1] ?? '';
  t.match(health, /\/dev\/tcp\//, 'a TCP connect');
  t.notMatch(health, /mongosh|mongo --eval/, 'not a shell process');
});

t.test('mongo-init initiates only a set that is not yet initiated', async (t) => {
  t.match(compose, /e\.code !== 94\) throw e/, 'anything but NotYetInitialized fails the init');
});

t.test('.env.example, the README and docs/mongodb.md give the same URI, with the advertised names', async (t) => {
  t.match(read('.env.example'), `#MONGODB_URI=${URI}`);
  t.match(read('.env.example'), /127\.0\.0\.1 mongo1 mongo2 mongo3/, 'and say the hosts line is needed');
  t.ok(read('README.md').includes(`export MONGODB_URI='${URI}'`), 'README');
  t.ok(read('docs/mongodb.md').includes(`export MONGODB_URI='${URI}'`), 'docs/mongodb.md');
  t.notMatch(read('.env.example'), /localhost:2701/, 'no localhost seeds (the driver would drop them for mongoN)');
});
