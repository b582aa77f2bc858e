/** Connections: K idle SSE streams on one Parley process, up to its file-descriptor limit; RSS per stream. */
import { postAtRate } from '../lib/http.js';
import { openFileLimit, rssBytes, sleep } from '../lib/proc.js';
import { parleyFixture, startParley } from '../lib/targets.js';
import { LoadPool } from '../lib/workers.js';

export interface ConnectionsConfig {
  /** Stream counts to step through; the last may be 'max' (the server's fd limit minus a reserve). */
  steps: Array<number | 'max'>;
  perWorker: number;
  /** Subscriber users (each holds many streams). */
  users: number;
  log: (line: string) => void;
}

export interface ConnectionsPoint {
  streams: number;
  rssMiB: number;
  /** Streams opened per second in this step (auth, membership check, replay-position read, hub registration). */
  openPerSec: number;
}

export interface ConnectionsResult {
  fdLimit: number | null;
  baselineRssMiB: number;
  points: ConnectionsPoint[];
  maxStreams: number;
  /** (RSS at the largest count - baseline) / streams. */
  bytesPerStream: number;
  /** Slope between the first and the last point (excludes fixed start-up growth). */
  marginalBytesPerStream: number;
  /** Every stream of the last step received one probe message. */
  allLive: boolean;
  failed: number;
}

const RESERVE_FDS = 300;

export async function connections(cfg: ConnectionsConfig): Promise<ConnectionsResult> {
  const server = await startParley();
  let pool: LoadPool | null = null;
  try {
    const fx = await parleyFixture(server.port, cfg.users);
    const fdLimit = openFileLimit(server.pid);
    const max = Math.floor(((fdLimit ?? 1024) - RESERVE_FDS) / 500) * 500;
    const steps = cfg.steps.map((s) => (s === 'max' ? max : Math.min(s, max))).filter((s, i, a) => a.indexOf(s) === i);
    const top = Math.max(...steps);
    pool = await LoadPool.start(Math.max(1, Math.ceil(top / cfg.perWorker)));
    // Baseline after the fixture (users, room) and a little traffic, so JIT and pools are warm.
    for (let i = 0; i < 50; i++) await fetchHealth(server.port);
    await sleep(1000);
    const baseline = rssBytes(server.pid) ?? 0;
    cfg.log(
      `  connections: fd limit ${fdLimit}, stepping to ${top} streams; baseline RSS ${(baseline / 2 ** 20).toFixed(1)} MiB`,
    );
    const points: ConnectionsPoint[] = [];
    let prev = 0;
    let failed = 0;
    for (const K of steps) {
      const c = await pool.connect(
        {
          mode: 'sse',
          port: server.port,
          path: `/api/rooms/${fx.roomId}/events`,
          tokens: fx.subscriberTokens,
          concurrency: 32,
          timeoutMs: 180_000,
        },
        K,
      );
      failed += c.failed;
      if (c.live < K)
        throw new Error(`connections: ${c.live} of ${K} streams open (${c.errors.slice(0, 3).join(', ')})`);
      await sleep(1500);
      const rss = rssBytes(server.pid) ?? 0;
      points.push({ streams: c.live, rssMiB: rss / 2 ** 20, openPerSec: ((c.live - prev) * 1000) / c.ms });
      cfg.log(
        `    ${c.live} streams: RSS ${(rss / 2 ** 20).toFixed(1)} MiB, opened ${Math.round(((c.live - prev) * 1000) / c.ms)}/s`,
      );
      prev = c.live;
    }
    // Every stream still live: one message reaches all of them.
    await pool.window(999_999);
    const probe = await postAtRate(
      {
        port: server.port,
        path: `/api/rooms/${fx.roomId}/messages`,
        headers: { authorization: `Bearer ${fx.poster.accessToken}` },
      },
      999_999,
      1,
      100,
    );
    const got = await pool.waitFor(prev * probe.ok, 30_000);
    const last = points[points.length - 1]!;
    const first = points[0]!;
    return {
      fdLimit,
      baselineRssMiB: baseline / 2 ** 20,
      points,
      maxStreams: last.streams,
      bytesPerStream: (last.rssMiB * 2 ** 20 - baseline) / last.streams,
      marginalBytesPerStream:
        last.streams > first.streams ? ((last.rssMiB - first.rssMiB) * 2 ** 20) / (last.streams - first.streams) : NaN,
      allLive: probe.ok === 1 && got >= prev,
      failed,
    };
  } finally {
    await pool?.close();
    await server.stop();
  }
}

async function fetchHealth(port: number): Promise<void> {
  const { request } = await import('../lib/http.js');
  await request(port, 'GET', '/api/health');
}
