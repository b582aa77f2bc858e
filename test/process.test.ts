import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { api, newRoom, newUser, post, stream, tempDir } from './helpers/app.js';
import type { MessageBody, MessagesBody } from './helpers/bodies.js';

const root = path.resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Proc {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the real entry point (server/main.ts) as its own process, the way `npm start` does. */
async function startProcess(env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { ...process.env, BCRYPT_ROUNDS: '4', LOG_LEVEL: 'info', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, output: () => out, exited };
}

t.test('SIGTERM ends streams and exits 0; a restart keeps history and sessions', async (t) => {
  const dataDir = tempDir();
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = String(await freePort());
  const first = await startProcess({ DATA_DIR: dataDir, PORT: port });
  t.teardown(() => first.child.kill('SIGKILL'));
  const u = await newUser(first.url);
  const login = await api(first.url, 'POST', '/api/auth/login', { body: { login: u.username, password: u.password } });
  const refresh = login.headers
    .getSetCookie()
    .find((c) => c.startsWith('parley_refresh='))!
    .split(';')[0]!;
  const room = await newRoom(first.url, u);
  for (let i = 0; i < 5; i++) await post(first.url, u, room.id, `before restart ${i}`);
  const s = await stream(first.url, `/api/rooms/${room.id}/events`, { token: u.token });

  first.child.kill('SIGTERM');
  await s.done;
  t.ok(s.ended, 'the open stream was ended by the shutdown');
  const exit = await first.exited;
  t.equal(exit.code, 0, 'exit code 0 on SIGTERM');
  t.match(first.output(), /shutting down/);
  t.notMatch(first.output(), new RegExp(u.password), 'no password in the logs');
  t.notMatch(first.output(), new RegExp(u.token.slice(-20)), 'no token in the logs');

  const second = await startProcess({ DATA_DIR: dataDir, PORT: port });
  t.teardown(() => second.child.kill('SIGKILL'));
  const me = await api(second.url, 'GET', '/api/me', { token: u.token });
  t.equal(me.status, 200, 'the access token from before the restart still works (secret kept in DATA_DIR)');
  const refreshed = await api(second.url, 'POST', '/api/auth/refresh', {
    headers: { cookie: refresh, origin: second.url },
  });
  t.equal(refreshed.status, 200, 'and so does the refresh cookie');
  const history = await api<MessagesBody>(second.url, 'GET', `/api/rooms/${room.id}/messages`, { token: u.token });
  t.same(
    history.body.messages.map((m) => m.text).reverse(),
    [0, 1, 2, 3, 4].map((i) => `before restart ${i}`),
  );
  const resumed = await stream(second.url, `/api/rooms/${room.id}/events`, { token: u.token, lastEventId: '1' });
  await resumed.waitFor((ev) => ev.length >= 5);
  resumed.close();
  t.same(
    resumed.events.map((e) => e.id),
    ['2', '3', '4', '5', '6'],
    'streams resume across the restart',
  );
  second.child.kill('SIGTERM');
  t.equal((await second.exited).code, 0);
});

t.test('kill -9 loses no acknowledged message', async (t) => {
  const dataDir = tempDir();
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = String(await freePort());
  const first = await startProcess({ DATA_DIR: dataDir, PORT: port });
  t.teardown(() => first.child.kill('SIGKILL'));
  const u = await newUser(first.url);
  const room = await newRoom(first.url, u);
  const acked: number[] = [];
  // Posts race the kill: whatever got a 201 must survive it.
  const posting = (async () => {
    for (let i = 0; i < 2000; i++) {
      try {
        const res = await api<MessageBody>(first.url, 'POST', `/api/rooms/${room.id}/messages`, {
          token: u.token,
          body: { text: `m${i}` },
        });
        if (res.status === 201) acked.push(res.body.message.seq);
      } catch {
        return;
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 700));
  first.child.kill('SIGKILL');
  await posting;
  await first.exited;
  t.ok(acked.length > 0, `${acked.length} messages acknowledged before the kill`);

  const second = await startProcess({ DATA_DIR: dataDir, PORT: port });
  t.teardown(() => second.child.kill('SIGKILL'));
  const stored = new Set<number>();
  let after = 0;
  for (;;) {
    const page = await api<MessagesBody>(second.url, 'GET', `/api/rooms/${room.id}/messages?after=${after}&limit=100`, {
      token: u.token,
    });
    if (page.body.messages.length === 0) break;
    for (const m of page.body.messages) stored.add(m.seq);
    after = page.body.messages.at(-1)!.seq;
  }
  t.same(
    acked.filter((seq) => !stored.has(seq)),
    [],
    'every acknowledged message is there after kill -9',
  );
  second.child.kill('SIGTERM');
  await second.exited;
});

t.test('a bad configuration stops the process with a message naming the variable', async (t) => {
  for (const [name, value] of [
    ['PORT', 'eighty'],
    ['HEARTBEAT_MS', 'often'],
    ['LOG_LEVEL', 'loud'],
    ['JWT_SECRET', 'short'],
  ]) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: root,
      env: { ...process.env, DATA_DIR: tempDir(), [name!]: value! },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    t.equal(code, 2, `${name}=${value} exits 2`);
    t.match(err, new RegExp(`${name}: `), `the message names ${name}`);
  }
});
