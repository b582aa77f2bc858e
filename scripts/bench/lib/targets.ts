/** The servers under test: Parley, the Socket.IO peer and the raw-socket ceiling, each a pinned child process. */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expectOk, request, waitForHealth } from './http.js';
import { nodeFlagsFor } from '../../../server/node-flags.js';
import { HAS_TASKSET, SERVER_CORE, spawnNode, stopChild } from './proc.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Running {
  name: string;
  child: ChildProcess;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

async function launch(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  healthPath: string,
  cleanup: () => void,
  cwd = ROOT,
  core: number | null = SERVER_CORE,
): Promise<Running> {
  const child = spawnNode(args, { core, env, stdio: ['ignore', 'inherit', 'inherit'], cwd });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, sig) => reject(new Error(`${name} exited during startup (${code ?? sig})`))),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForHealth(port, healthPath, 60_000), exited]);
  } catch (err) {
    await stopChild(child, 2000);
    cleanup();
    throw err;
  }
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping)
      process.stderr.write(`bench: ${name} (pid ${child.pid}) exited unexpectedly: code ${code}, signal ${signal}\n`);
  });
  return {
    name,
    child,
    pid: child.pid!,
    port,
    async stop() {
      stopping = true;
      await stopChild(child, 12_000);
      cleanup();
    },
  };
}

/**
 * The checkout whose server/main.ts is measured (--server-root): by default this one. Only the server process comes
 * from there (its code and its node_modules); the harness, fixtures and load generators stay this checkout's, so the
 * same instrument measures an old commit and a new one.
 */
let serverRoot = ROOT;

export function setServerRoot(dir: string): void {
  serverRoot = path.resolve(dir);
  if (!existsSync(path.join(serverRoot, 'server', 'main.ts')))
    throw new Error(`--server-root: ${serverRoot} has no server/main.ts`);
}

export function getServerRoot(): string {
  return serverRoot;
}

/** The commit the measured server runs (short hash), or 'unknown'. */
export function serverCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: serverRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** The preload that reports the server's event-loop stalls to a file (lib/loop-monitor.ts). */
const LOOP_MONITOR = path.join(HERE, 'loop-monitor.ts');

/**
 * The Node flags of the measured server: those `npm start` gives a server with its cores (server/node-flags.ts; one,
 * when it is pinned), or, when BENCH_SERVER_NODE_FLAGS is set, those instead (`BENCH_SERVER_NODE_FLAGS=` for Node's
 * defaults, `BENCH_SERVER_NODE_FLAGS='--max-semi-space-size=4'` to try another).
 */
export function serverNodeFlags(pinned: boolean): string[] {
  const given = process.env.BENCH_SERVER_NODE_FLAGS;
  if (given !== undefined) return given.split(' ').filter(Boolean);
  return nodeFlagsFor(pinned ? 1 : os.availableParallelism(), process.env.NODE_OPTIONS);
}

export interface ParleyOptions {
  /** Directory for a CPU profile written at exit (node --cpu-prof). */
  cpuProfDir?: string;
  env?: Record<string, string>;
  /** Serve this DATA_DIR (a seeded store) instead of a fresh one; the caller removes it. */
  dataDir?: string;
  /** Listen on this port (a restart on the same address); a free one otherwise. */
  port?: number;
  /** Write the event loop's longest stalls to this file (see lib/loop-monitor.ts); the caller removes it. */
  loopMonitorFile?: string;
  /** Let it use every CPU (fixture set-up only, never a measured server). */
  unpinned?: boolean;
}

export async function startParley(opts: ParleyOptions = {}): Promise<Running> {
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    BCRYPT_ROUNDS: '4',
    // Long enough for a full run that reuses the seeded members' tokens from its start to its end.
    ACCESS_TOKEN_TTL: '12h',
    // The fixtures register and sign in thousands of members from 127.0.0.1: the per-IP limits (30 registrations an
    // hour, 20 sign-in attempts in flight or failed) are not what the benchmarks measure.
    REGISTER_MAX_PER_IP: '100000',
    LOGIN_MAX_FAILURES_PER_IP: '100000',
    NODE_ENV: 'production',
    // One poster sends thousands of messages a second: the benchmark measures capacity, not the per-user limit.
    MESSAGE_RATE_LIMIT: '0',
    // The benchmarks open many streams per user; the per-user cap is not what they measure.
    MAX_STREAMS_PER_USER: '1000000',
    ...(opts.loopMonitorFile ? { BENCH_LOOP_FILE: opts.loopMonitorFile } : {}),
    ...opts.env,
  };
  const args = [
    ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    ...serverNodeFlags(HAS_TASKSET && !opts.unpinned),
    '--import',
    'tsx',
    ...(opts.loopMonitorFile ? ['--import', pathToFileURL(LOOP_MONITOR).href] : []),
    'server/main.ts',
  ];
  const cleanup = () => {
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return launch('parley', args, env, port, '/api/health', cleanup, serverRoot, opts.unpinned ? null : SERVER_CORE);
}

export async function startPeer(): Promise<Running> {
  const port = await freePort();
  return launch(
    'socket.io peer',
    ['--import', 'tsx', path.join(HERE, '..', 'servers', 'socketio-peer.ts')],
    { ...process.env, PORT: String(port), NODE_ENV: 'production' },
    port,
    '/health',
    () => {},
  );
}

export async function startLimit(): Promise<Running & { subscriberPort: number }> {
  const port = await freePort();
  const subscriberPort = await freePort();
  const running = await launch(
    'raw-socket ceiling',
    ['--import', 'tsx', path.join(HERE, '..', 'servers', 'raw-limit.ts')],
    { ...process.env, PORT: String(port), SUB_PORT: String(subscriberPort) },
    port,
    '/health',
    () => {},
  );
  return { ...running, subscriberPort };
}

// ---- Parley fixtures

export const PASSWORD = 'correct horse battery staple 42';

export interface Fixture {
  roomId: string;
  poster: { accessToken: string; apiToken: string };
  /** Access tokens of the subscriber users (several streams per user). */
  subscriberTokens: string[];
}

async function user(port: number, name: string): Promise<{ accessToken: string; apiToken: string }> {
  await expectOk(
    request(port, 'POST', '/api/auth/register', { username: name, email: `${name}@bench.invalid`, password: PASSWORD }),
    `register ${name}`,
  );
  const login = await expectOk(
    request(port, 'POST', '/api/auth/login', { login: name, password: PASSWORD }),
    `login ${name}`,
  );
  const accessToken = String(login.accessToken);
  const tok = await expectOk(
    request(port, 'POST', '/api/tokens', { name: 'bench' }, { authorization: `Bearer ${accessToken}` }),
    `api token ${name}`,
  );
  return { accessToken, apiToken: String(tok.token) };
}

/** A public room, a poster (its owner) and `users` members whose access tokens open the subscriber streams. */
export async function parleyFixture(port: number, users: number, roomName = 'bench'): Promise<Fixture> {
  const poster = await user(port, `poster_${roomName}`.slice(0, 32));
  const room = await expectOk(
    request(
      port,
      'POST',
      '/api/rooms',
      { name: roomName, kind: 'public' },
      { authorization: `Bearer ${poster.apiToken}` },
    ),
    'create room',
  );
  const roomId = String(room.room.id);
  const subscriberTokens: string[] = [];
  for (let i = 0; i < users; i++) {
    const u = await user(port, `sub${i}_${roomName}`.slice(0, 32));
    await expectOk(
      request(port, 'POST', `/api/rooms/${roomId}/join`, undefined, { authorization: `Bearer ${u.apiToken}` }),
      'join',
    );
    subscriberTokens.push(u.accessToken);
  }
  return { roomId, poster, subscriberTokens };
}

/** Creates another room owned by the fixture's poster. */
export async function parleyRoom(port: number, fx: Fixture, name: string): Promise<string> {
  const room = await expectOk(
    request(port, 'POST', '/api/rooms', { name, kind: 'public' }, { authorization: `Bearer ${fx.poster.apiToken}` }),
    'create room',
  );
  return String(room.room.id);
}
