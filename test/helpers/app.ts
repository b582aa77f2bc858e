import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { buildApp } from '../../server/app.js';
import { loadConfig, type Config } from '../../server/config.js';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import type { Store } from '../../server/store/store.js';
import type {
  LoginBody,
  Membership,
  MembershipBody,
  Message,
  MessageBody,
  Room,
  RoomBody,
  UserBody,
} from './bodies.js';
import { SseStream, type SseStreamOptions } from './sse.js';

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  config: Config;
  /** http://127.0.0.1:<port> of the listening server */
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Fast bcrypt and no fsync per commit in tests (process-crash durability is tested with the default, FULL). */
export const TEST_ENV: Record<string, string> = {
  BCRYPT_ROUNDS: '4',
  LOG_LEVEL: 'silent',
  SQLITE_SYNCHRONOUS: 'NORMAL',
};

export function tempDir(prefix = 'parley-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface StartOptions {
  env?: Record<string, string>;
  store?: Store;
  dataDir?: string;
  keepData?: boolean;
}

/**
 * Starts a real server on 127.0.0.1 with an ephemeral port. By default on a fresh SQLite store in a temp DATA_DIR;
 * pass `store` to share one (several instances on one MongoDB), `dataDir` to reopen an existing one (restart).
 */
export async function startApp(opts: StartOptions = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? tempDir();
  const config = loadConfig({ ...TEST_ENV, DATA_DIR: dataDir, PORT: '0', ...opts.env });
  const store =
    opts.store ?? new SqliteStore({ file: path.join(dataDir, 'parley.db'), synchronous: config.sqliteSynchronous });
  const app = await buildApp({ config, store, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;
  let closed = false;
  return {
    app,
    store,
    config,
    url,
    dataDir,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      if (!opts.store) await store.close();
      if (!opts.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `T` is what the test expects the body to be: a type from ./bodies.js (`api<RoomBody>(...)`, `api<ErrorBody>(...)`).
 * Without one the body is `any`, so that tests written before the body types still compile.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the default for untyped callers, see above
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** JSON over real HTTP. `token` becomes a Bearer header. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the default for untyped callers, see ApiResponse
export async function api<T = any>(
  base: string,
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  const res = await fetch(base + url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export interface TestUser {
  id: string;
  username: string;
  password: string;
  token: string;
}

let counter = 0;
/** Registers and logs in a fresh user; returns its Bearer access token. */
export async function newUser(base: string, name?: string): Promise<TestUser> {
  const username = name ?? `user${process.pid}x${++counter}`;
  const password = `a long passphrase for ${username} ${counter}`;
  const email = `${username}@example.com`;
  const reg = await api<UserBody>(base, 'POST', '/api/auth/register', { body: { username, email, password } });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await api<LoginBody>(base, 'POST', '/api/auth/login', { body: { login: username, password } });
  if (login.status !== 200) throw new Error(`login ${username}: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: reg.body.user.id, username, password, token: login.body.accessToken };
}

export async function newRoom(base: string, owner: TestUser, body: Record<string, unknown> = {}): Promise<Room> {
  const res = await api<RoomBody>(base, 'POST', '/api/rooms', { token: owner.token, body: { name: 'room', ...body } });
  if (res.status !== 201) throw new Error(`create room: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room;
}

/** Joins a public room; fails loudly, so a set-up step cannot fail unnoticed. */
export async function join(base: string, user: TestUser, roomId: string): Promise<Membership> {
  const res = await api<MembershipBody>(base, 'POST', `/api/rooms/${roomId}/join`, { token: user.token });
  if (res.status !== 201) throw new Error(`join: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.membership;
}

/** `count` fresh users, each a member of the public room (registering many needs REGISTER_MAX_PER_IP raised). */
export async function newMembers(base: string, roomId: string, count: number): Promise<TestUser[]> {
  const members: TestUser[] = [];
  for (let i = 0; i < count; i++) {
    const user = await newUser(base);
    await join(base, user, roomId);
    members.push(user);
  }
  return members;
}

export async function post(base: string, user: TestUser, roomId: string, text: string): Promise<Message> {
  const res = await api<MessageBody>(base, 'POST', `/api/rooms/${roomId}/messages`, {
    token: user.token,
    body: { text },
  });
  if (res.status !== 201) throw new Error(`post: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.message;
}

/** Opens an SSE stream and waits for the response headers. */
export async function stream(base: string, path: string, opts: SseStreamOptions = {}): Promise<SseStream> {
  const s = new SseStream(base + path, opts);
  await s.opened;
  return s;
}

/** A started server that closes when the test ends. */
export async function serve(t: Test, opts: StartOptions = {}): Promise<TestApp> {
  const srv = await startApp(opts);
  t.teardown(() => srv.close());
  return srv;
}

/** A started server and one user, `a`, who owns a public room. `room` is the body of the room to create. */
export async function aloneInARoom(
  t: Test,
  opts: StartOptions & { room?: Record<string, unknown> } = {},
): Promise<{ srv: TestApp; a: TestUser; room: Room }> {
  const srv = await serve(t, opts);
  const a = await newUser(srv.url);
  const room = await newRoom(srv.url, a, opts.room);
  return { srv, a, room };
}

/** A started server and two users in one public room: `a` created it (its owner), `b` joined it. */
export async function twoInARoom(
  t: Test,
  opts: StartOptions & { room?: Record<string, unknown> } = {},
): Promise<{ srv: TestApp; a: TestUser; b: TestUser; room: Room }> {
  const { srv, a, room } = await aloneInARoom(t, opts);
  const b = await newUser(srv.url);
  await join(srv.url, b, room.id);
  return { srv, a, b, room };
}
