import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { nodeFlagsFor, ONE_CORE_NODE_FLAGS } from '../server/node-flags.js';
import { tempDir } from './helpers/app.js';
import { freePort } from './helpers/process.js';

const root = path.resolve(import.meta.dirname, '..');
const HAS_TASKSET = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

t.test('one core gets the collector flags; more cores, or flags the operator set, are left alone', async (t) => {
  t.same(nodeFlagsFor(1), [...ONE_CORE_NODE_FLAGS]);
  t.same(nodeFlagsFor(2), []);
  t.same(nodeFlagsFor(8), []);
  t.same(nodeFlagsFor(1, '--max-old-space-size=2048 --max-semi-space-size=32'), ['--single-threaded-gc']);
});

/** `npm start`'s entry, optionally on one core (taskset), until /api/health answers; with the server's command line. */
async function launch(t: Test, oneCore: boolean, env: Record<string, string> = {}) {
  const dataDir = tempDir();
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = String(await freePort());
  const args = ['--import', 'tsx', 'server/launcher.ts'];
  const launcher = oneCore
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], options())
    : spawn(process.execPath, args, options());
  // In a process group of its own, as a terminal runs a command: Ctrl-C signals the whole group.
  function options() {
    return { cwd: root, env: childEnv(), stdio: 'pipe' as const, detached: true };
  }
  function childEnv() {
    return {
      ...process.env,
      BCRYPT_ROUNDS: '4',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: port,
      DATA_DIR: dataDir,
      ...env,
    };
  }
  let out = '';
  launcher.stdout.on('data', (d) => (out += d));
  launcher.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    launcher.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let serverPid = 0;
  t.teardown(() => {
    launcher.kill('SIGKILL');
    if (serverPid) killQuietly(serverPid);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (launcher.exitCode !== null) return { launcher, exited, out: () => out, serverPid, cmdline: [] as string[] };
    // taskset execs node, so the launcher's pid is node's; its one child is the server.
    const children = readChildren(launcher.pid!);
    if (children.length) serverPid = children[0]!;
    try {
      if (serverPid && (await fetch(`http://127.0.0.1:${port}/api/health`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const cmdline = readFileSync(`/proc/${serverPid}/cmdline`, 'utf8').split('\0');
  return { launcher, exited, out: () => out, serverPid, cmdline };
}

function readChildren(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

const linux = process.platform === 'linux';

t.test(
  'on one core the server runs with the collector flags; SIGTERM stops it gracefully',
  { skip: linux && HAS_TASKSET ? false : 'needs Linux and taskset' },
  async (t) => {
    const { launcher, exited, serverPid, cmdline } = await launch(t, true);
    for (const flag of ONE_CORE_NODE_FLAGS) t.ok(cmdline.includes(flag), `the server was started with ${flag}`);
    t.ok(
      cmdline.some((a) => a.endsWith('server/main.ts')),
      'and it runs server/main.ts',
    );
    launcher.kill('SIGTERM');
    t.same(await exited, { code: 0, signal: null }, 'the launcher exits 0, as the server did after a graceful stop');
    for (let i = 0; i < 50 && alive(serverPid); i++) await new Promise((r) => setTimeout(r, 100));
    t.notOk(alive(serverPid), 'the server is gone');
  },
);

t.test(
  'with more cores the server gets no extra flags; SIGINT (Ctrl-C) stops it gracefully',
  { skip: linux && os.availableParallelism() >= 2 ? false : 'needs Linux and two cores' },
  async (t) => {
    const { launcher, exited, out, cmdline } = await launch(t, false, { LOG_LEVEL: 'info' });
    for (const flag of ONE_CORE_NODE_FLAGS) t.notOk(cmdline.includes(flag), `no ${flag}`);
    process.kill(-launcher.pid!, 'SIGINT'); // Ctrl-C: a terminal signals the launcher's whole process group
    t.same(await exited, { code: 0, signal: null }, 'exit 0');
    t.match(out(), /"signal":"SIGINT".*shutting down/, 'the server got the signal once and shut down');
  },
);

t.test("the launcher exits with the server's exit code", async (t) => {
  const { exited, out } = await launch(t, false, { PORT: 'not-a-port' });
  t.same(
    await exited,
    { code: 2, signal: null },
    'a configuration error is exit 2, from the launcher as from the server',
  );
  t.match(out(), /parley: Invalid configuration[\s\S]*PORT/, "with the server's message");
});
