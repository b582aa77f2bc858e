/**
 * Profile: Parley under node --cpu-prof while it fans out to S subscribers at a fixed rate. Only the samples taken
 * inside the fan-out window count (setup and shutdown are cut away); self and inclusive time per function.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { now } from '../lib/common.js';
import { postAtRate } from '../lib/http.js';
import { CpuWindow, sleep } from '../lib/proc.js';
import { parleyFixture, ROOT, startParley } from '../lib/targets.js';
import { LoadPool } from '../lib/workers.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  fn: string;
  where: string;
  selfPct: number;
  totalPct: number;
}

export interface ProfileResult {
  subscribers: number;
  rate: number;
  windowS: number;
  serverCpu: number;
  samples: number;
  /** Share of the window the process was idle (waiting in epoll). */
  idlePct: number;
  file: string;
  topSelf: ProfileEntry[];
  topTotal: ProfileEntry[];
  /** Self time grouped by where the code lives. */
  byArea: Array<{ area: string; selfPct: number }>;
}

function where(url: string, line: number): string {
  if (!url) return '(native)';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(ROOT)) u = path.relative(ROOT, u);
  u = u.replace(/^.*node_modules\//, '');
  // tsx-transpiled TypeScript reports no useful line numbers; the function name and file say enough.
  return u.endsWith('.ts') ? u : `${u}:${line + 1}`;
}

function area(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(program)') return 'native / V8 (program)';
  if (!url) return 'native (builtins, syscalls)';
  if (url.startsWith('node:')) {
    const mod = url.slice(5).split('/').slice(0, 3).join('/');
    return `node core: ${mod.replace(/^internal\//, '')}`;
  }
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return `dependency: ${m[1]}`;
  const rel = url.replace(/^file:\/\//, '').replace(ROOT + '/', '');
  return `parley: ${rel.split('/').slice(0, 2).join('/')}`;
}

export function analyse(
  profile: CpuProfile,
  fromUs: number,
  toUs: number,
  top = 15,
): Omit<ProfileResult, 'subscribers' | 'rate' | 'windowS' | 'serverCpu' | 'file'> {
  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const key = (n: CpuProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'}\u0000${n.callFrame.url}\u0000${n.callFrame.lineNumber}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  let t = profile.startTime;
  let counted = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    counted++;
    if (node.callFrame.functionName === '(idle)') {
      idle++;
      continue;
    }
    const k = key(node);
    self.set(k, (self.get(k) ?? 0) + 1);
    const a = area(node.callFrame.url, node.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (n.callFrame.functionName === '(root)') break;
      const kk = key(n);
      if (seen.has(kk)) continue;
      seen.add(kk);
      total.set(kk, (total.get(kk) ?? 0) + 1);
    }
  }
  const busy = counted - idle;
  const entry = (k: string): ProfileEntry => {
    const [fn, url, line] = k.split('\u0000');
    return {
      fn: fn!,
      where: where(url!, Number(line)),
      selfPct: (100 * (self.get(k) ?? 0)) / Math.max(1, busy),
      totalPct: (100 * (total.get(k) ?? 0)) / Math.max(1, busy),
    };
  };
  const sortBy = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k]) => entry(k));
  return {
    samples: counted,
    idlePct: (100 * idle) / Math.max(1, counted),
    topSelf: sortBy(self),
    topTotal: sortBy(total),
    byArea: [...areas]
      .sort((a, b) => b[1] - a[1])
      .map(([a, n]) => ({ area: a, selfPct: (100 * n) / Math.max(1, busy) })),
  };
}

export interface ProfileConfig {
  subscribers: number;
  rate: number;
  windowMs: number;
  workers: number;
  users: number;
  outDir: string;
  log: (line: string) => void;
}

export async function profileFanout(cfg: ProfileConfig): Promise<ProfileResult> {
  const server = await startParley({ cpuProfDir: cfg.outDir });
  let pool: LoadPool | null = null;
  let stopped = false;
  try {
    const fx = await parleyFixture(server.port, cfg.users);
    pool = await LoadPool.start(cfg.workers);
    const c = await pool.connect(
      {
        mode: 'sse',
        port: server.port,
        path: `/api/rooms/${fx.roomId}/events`,
        tokens: fx.subscriberTokens,
        concurrency: 32,
        timeoutMs: 120_000,
      },
      cfg.subscribers,
    );
    if (c.live < cfg.subscribers) throw new Error(`profile: ${c.live} of ${cfg.subscribers} subscribers connected`);
    const target = {
      port: server.port,
      path: `/api/rooms/${fx.roomId}/messages`,
      headers: { authorization: `Bearer ${fx.poster.accessToken}` },
    };
    // Warm up (JIT) at the same rate, then measure.
    await pool.window(900_001);
    await postAtRate(target, 900_001, cfg.rate, Math.min(2000, cfg.windowMs));
    await sleep(500);
    await pool.window(900_002);
    const cpu = new CpuWindow([server.pid]);
    const from = now();
    await postAtRate(target, 900_002, cfg.rate, cfg.windowMs);
    const to = now();
    const serverCpu = cpu.end();
    await pool.close();
    pool = null;
    await sleep(1500);
    const stopAt = now();
    await server.stop();
    stopped = true;
    // One file per thread (tsx runs its loader on a worker thread); the main thread's is the largest.
    const file = readdirSync(cfg.outDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(cfg.outDir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0];
    if (!file) throw new Error('profile: the server wrote no .cpuprofile');
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    // Profile clock (µs) of a wall time: the profile ends when the idle server stops, shortly after SIGTERM; the
    // half-second margins absorb that shutdown time, so no set-up or tear-down work is counted.
    const toProfile = (wall: number) => profile.endTime - (stopAt - wall) * 1000;
    const res = analyse(profile, toProfile(from + 500), toProfile(to - 500));
    return {
      subscribers: cfg.subscribers,
      rate: cfg.rate,
      windowS: (to - from) / 1000,
      serverCpu,
      file: path.relative(ROOT, file),
      ...res,
    };
  } finally {
    await pool?.close();
    if (!stopped) await server.stop();
  }
}
