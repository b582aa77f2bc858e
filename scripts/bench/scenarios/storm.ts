/**
 * Storms: N distinct members of one room open their streams at once while one poster posts at a steady rate.
 * - `connect`: a fresh server, nobody connected; all N connect (no resume position).
 * - `reconnect`: all N connected and live, the server restarts (graceful stop, start on the same data), `behind`
 *   messages are posted while nobody is connected, then all N reconnect at once with Last-Event-ID at the position
 *   they had, as browsers do after a restart.
 * Measured: time until every member is live (caught up and receiving messages posted after its request), POST
 * latency meanwhile, every member's events counted for exactly-once delivery (lib/tracking.ts), and the server's
 * longest event-loop stall (lib/loop-monitor.ts, preloaded into the server without changing its code).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchText, now } from '../lib/common.js';
import type { LatencySummary } from '../lib/histogram.js';
import { expectOk, postAtRate, request, type PostTarget } from '../lib/http.js';
import { LOOP_MONITOR_RESOLUTION_MS } from '../lib/loop-monitor.js';
import { seedRoom, startSeeded, type MemberSeed } from '../lib/members.js';
import { CpuWindow, sleep } from '../lib/proc.js';
import { startParley, type Running } from '../lib/targets.js';
import { summarise, type TrackSummary } from '../lib/tracking.js';
import { LoadPool } from '../lib/workers.js';

export type StormVariant = 'connect' | 'reconnect';

export interface StormConfig {
  sizes: number[];
  variants: StormVariant[];
  workers: number;
  /** The poster's rate during the storm, messages per second. */
  rate: number;
  /** Reconnect: messages posted while everyone is away (how far behind they resume). */
  behind: number;
  /** The storm ends when every member is live, or after this long. */
  maxMs: number;
  /** Posting goes on this long after the last member went live. */
  afterMs: number;
  /** After the last post, how long members may take to reach the room's head before the count is final. */
  drainMs: number;
  log: (line: string) => void;
}

export interface LoopStalls {
  /** The longest gap between the monitor's ticks in the window (a blocked turn of T ms shows as T..T+resolution). */
  maxMs: number;
  /** 200 ms intervals in the window whose longest gap was over 50 ms. */
  over50: number;
  intervals: number;
  resolutionMs: number;
  /** The longest garbage collection pause of the main thread in the window, and how many were over 50 ms. */
  gcMaxMs: number;
  gcOver50: number;
}

export interface StormResult {
  variant: StormVariant;
  members: number;
  connected: number;
  connectFailed: number;
  connectErrors: string[];
  /** Reconnect: the position everyone resumes from, and how many events they missed by then. */
  resumeFrom: number | null;
  missedBefore: number;
  finalHead: number;
  /** From the storm's start to the last member going live, or to maxMs when some never did. */
  stormMs: number;
  tracks: TrackSummary;
  post: { sent: number; ok: number; failed: number; p50: number; p99: number; max: number; errors: string[] };
  /** Send -> receive latency of messages posted after each member's request (live deliveries). */
  delivery: LatencySummary;
  loop: LoopStalls;
  serverCpu: number;
  /** The load processes' CPU meanwhile (1 = one core): near 1, the clients rather than the server set the pace. */
  loadCpu: number;
  /**
   * The kernel's TcpExt counters over the storm (whole machine, so other work can add to them): connections dropped
   * because the server's accept queue (its listen backlog) was full, and SYNs the clients had to send again.
   */
  listenOverflows: number | null;
  synRetrans: number | null;
  /** Reconnect: the restart (stop, start, `behind` posts), seconds. */
  restartS: number | null;
}

/** TcpExt counters from /proc/net/netstat (null where unreadable). */
function tcpExt(): Record<string, number> | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[i]!.split(' ').slice(1);
    const values = lines[i + 1]!.split(' ').slice(1).map(Number);
    return Object.fromEntries(names.map((n, k) => [n, values[k]!]));
  } catch {
    return null;
  }
}

/** A poster at a steady rate until stopped; every post's send time and answer time are kept. */
function steadyPoster(target: PostTarget, run: number, rate: number) {
  const posts: Array<{ at: number; ms: number; ok: boolean }> = [];
  const errors = new Map<string, number>();
  let stopped = false;
  let inflight = 0;
  let sent = 0;
  const t0 = performance.now();
  let timer: NodeJS.Timeout | null = null;
  const one = () => {
    sent++;
    inflight++;
    const at = now();
    request(target.port, 'POST', target.path, { text: benchText(run) }, target.headers, 30_000)
      .then((r) => {
        const ok = r.status >= 200 && r.status < 300;
        if (!ok) errors.set(`HTTP ${r.status}`, (errors.get(`HTTP ${r.status}`) ?? 0) + 1);
        posts.push({ at, ms: now() - at, ok });
      })
      .catch((err: Error) => {
        errors.set(err.message, (errors.get(err.message) ?? 0) + 1);
        posts.push({ at, ms: now() - at, ok: false });
      })
      .finally(() => inflight--);
  };
  const tick = () => {
    if (stopped) return;
    const due = Math.floor(((performance.now() - t0) * rate) / 1000) + 1;
    while (sent < due) one();
    timer = setTimeout(tick, Math.max(1, (sent * 1000) / rate - (performance.now() - t0)));
  };
  tick();
  return {
    posts,
    errors,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (let i = 0; i < 600 && inflight > 0; i++) await sleep(50);
    },
  };
}

/** The monitor's lines that cover [from, to] (wall ms): each line is the longest gap of the 200 ms before it. */
function loopStalls(file: string, from: number, to: number): LoopStalls {
  let maxMs = 0;
  let over50 = 0;
  let intervals = 0;
  let gcMaxMs = 0;
  let gcOver50 = 0;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    /* no line yet */
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('gc ')) {
      const [, end, pause] = line.split(' ').map(Number);
      if (end! < from || end! > to + 400) continue;
      if (pause! > gcMaxMs) gcMaxMs = pause!;
      if (pause! > 50) gcOver50++;
      continue;
    }
    const [t, max] = line.split(' ').map(Number);
    if (!Number.isFinite(t) || !Number.isFinite(max) || t! < from || t! > to + 400) continue;
    intervals++;
    if (max! > maxMs) maxMs = max!;
    if (max! > 50) over50++;
  }
  return {
    maxMs: intervals ? maxMs : NaN,
    over50,
    intervals,
    resolutionMs: LOOP_MONITOR_RESOLUTION_MS,
    gcMaxMs,
    gcOver50,
  };
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN;

async function roomHead(port: number, roomId: string, token: string): Promise<number> {
  const auth = { authorization: `Bearer ${token}` };
  const r = await expectOk(request(port, 'GET', `/api/rooms/${roomId}`, undefined, auth), 'room head');
  return Number(r.room.lastSeq);
}

let runCounter = 900_000;

async function one(
  pool: LoadPool,
  seed: MemberSeed,
  S: number,
  variant: StormVariant,
  cfg: StormConfig,
): Promise<StormResult> {
  const room = seedRoom(seed, S);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-loop-'));
  const loopFile = path.join(dir, 'loop.txt');
  let server: (Running & { dataDir: string }) | Running | null = null;
  let dataDir: string | null = null;
  const eventsPath = `/api/rooms/${room.roomId}/events`;
  const target = (port: number): PostTarget => ({
    port,
    path: `/api/rooms/${room.roomId}/messages`,
    headers: { authorization: `Bearer ${seed.posterToken}` },
  });
  try {
    let resumeFrom: number | null = null;
    let restartS: number | null = null;
    if (variant === 'connect') {
      server = await startSeeded(seed, { loopMonitorFile: loopFile, cpuProfDir: process.env.BENCH_CPU_PROF });
    } else {
      // Everyone connected and live first (not measured), then the restart.
      const first = await startSeeded(seed, { keepData: true });
      dataDir = first.dataDir;
      server = first;
      const c = await pool.connect(
        {
          mode: 'sse',
          port: first.port,
          path: eventsPath,
          tokens: room.tokens,
          distinct: true,
          concurrency: 32,
          timeoutMs: 120_000,
        },
        S,
      );
      const warm = runCounter++;
      await pool.window(warm);
      const probe = await postAtRate(target(first.port), warm, 10, 300);
      const got = await pool.waitFor(S * probe.ok, 60_000);
      cfg.log(
        `  storm ${variant} S=${S}: ${c.live} connected before the restart, probe reached ${got} of ${S * probe.ok}`,
      );
      resumeFrom = await roomHead(first.port, room.roomId, seed.posterToken);
      const t0 = performance.now();
      await first.stop(); // graceful: ends every stream, as a deploy does
      server = null;
      server = await startParley({ dataDir, loopMonitorFile: loopFile, cpuProfDir: process.env.BENCH_CPU_PROF });
      const away = await postAtRate(target(server.port), runCounter++, 200, (cfg.behind / 200) * 1000, 32);
      if (away.ok !== cfg.behind) throw new Error(`storm: posted ${away.ok} of ${cfg.behind} while members were away`);
      restartS = (performance.now() - t0) / 1000;
    }
    const port = server.port;
    const run = runCounter++;
    await pool.window(run);
    const poster = steadyPoster(target(port), run, cfg.rate);
    await sleep(500); // the poster is steady before the storm begins
    const cpu = new CpuWindow([server.pid]);
    const cpuLoad = new CpuWindow(pool.pids, true);
    const tcp0 = tcpExt();
    const start = now();
    const connecting = pool.connect(
      {
        mode: 'sse',
        port,
        path: eventsPath,
        tokens: room.tokens,
        distinct: true,
        track: true,
        headers: resumeFrom === null ? undefined : { 'Last-Event-ID': String(resumeFrom) },
        concurrency: Math.ceil(S / pool.size), // every member at once
        timeoutMs: cfg.maxMs,
      },
      S,
    );
    let connectDone = false;
    const connected = connecting.finally(() => (connectDone = true));
    let lastLive = 0;
    for (let i = 0; i < 100_000 && now() - start < cfg.maxMs; i++) {
      const t = await pool.trackCount(0);
      lastLive = t.live;
      if (t.live >= S || (connectDone && t.live >= t.streams && t.streams > 0)) break;
      await sleep(200);
    }
    const stormEnd = now();
    const serverCpu = cpu.end();
    const loadCpu = cpuLoad.end();
    const tcp1 = tcpExt();
    const tcpDelta = (k: string) => (tcp0 && tcp1 && k in tcp0 ? tcp1[k]! - tcp0[k]! : null);
    const c = await connected;
    await sleep(cfg.afterMs);
    await poster.stop();
    const finalHead = await roomHead(port, room.roomId, seed.posterToken);
    for (let i = 0, t0 = now(); i < 10_000 && now() - t0 < cfg.drainMs; i++) {
      const t = await pool.trackCount(finalHead);
      if (t.caughtUp >= t.streams) break;
      await sleep(200);
    }
    const tracks = summarise(await pool.trackReport(), start, finalHead, resumeFrom);
    const rep = await pool.report();
    const during = poster.posts.filter((p) => p.at >= start && p.at <= stormEnd);
    const ms = during.map((p) => p.ms).sort((a, b) => a - b);
    const result: StormResult = {
      variant,
      members: S,
      connected: c.live,
      connectFailed: c.failed,
      connectErrors: c.errors.slice(0, 5),
      resumeFrom,
      missedBefore: resumeFrom === null ? 0 : cfg.behind,
      finalHead,
      stormMs: stormEnd - start,
      tracks,
      post: {
        sent: during.length,
        ok: during.filter((p) => p.ok).length,
        failed: during.filter((p) => !p.ok).length,
        p50: quantile(ms, 0.5),
        p99: quantile(ms, 0.99),
        max: ms.length ? ms[ms.length - 1]! : NaN,
        errors: [...poster.errors].map(([k, v]) => `${v}x ${k}`),
      },
      delivery: rep.hist.summary(),
      loop: loopStalls(loopFile, start, stormEnd),
      serverCpu,
      loadCpu,
      listenOverflows: tcpDelta('ListenOverflows'),
      synRetrans: tcpDelta('TCPSynRetrans'),
      restartS,
    };
    cfg.log(
      `  storm ${variant} S=${S}: ${tracks.live} of ${S} live ` +
        (Number.isFinite(tracks.allLiveMs)
          ? `(all in ${(tracks.allLiveMs / 1000).toFixed(2)} s)`
          : `(${lastLive} by ${(result.stormMs / 1000).toFixed(1)} s)`) +
        `, POST p99 ${result.post.p99.toFixed(1)} ms, missing ${tracks.missing} (${tracks.membersMissing} members), ` +
        `duplicates ${tracks.duplicates}, longest loop stall ${result.loop.maxMs.toFixed(1)} ms (longest GC pause ${result.loop.gcMaxMs.toFixed(1)} ms), server cpu ${(serverCpu * 100).toFixed(0)}%, ` +
        `load cpu ${(loadCpu * 100).toFixed(0)}%, listen overflows ${result.listenOverflows ?? 'n/a'}`,
    );
    return result;
  } finally {
    await pool.connect({ mode: 'sse', port: 0, path: '', tokens: [], concurrency: 1, timeoutMs: 5000 }, 0);
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function storm(seed: MemberSeed, cfg: StormConfig): Promise<StormResult[]> {
  const results: StormResult[] = [];
  const pool = await LoadPool.start(cfg.workers);
  try {
    for (const S of cfg.sizes) for (const v of cfg.variants) results.push(await one(pool, seed, S, v, cfg));
  } finally {
    await pool.close();
  }
  return results;
}
