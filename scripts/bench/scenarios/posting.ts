/**
 * Posting: concurrent Bearer-authenticated POSTs for a fixed time (autocannon, a separate pinned process) beside the
 * same server's GET /api/health rate; the ratio is the figure. Resume runs on the same server afterwards.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { now } from '../lib/common.js';
import { expectOk, postAtRate, request } from '../lib/http.js';
import { CpuWindow, LOAD_CORE, spawnNode, stopChild } from '../lib/proc.js';
import { parleyFixture, parleyRoom, startParley, type Fixture, type Running } from '../lib/targets.js';
import { LoadPool } from '../lib/workers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const AUTOCANNON = path.join(HERE, '..', 'load', 'autocannon-worker.ts');

export interface CannonResult {
  name: string;
  rps: number;
  total: number;
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  serverCpu: number;
}

async function cannon(
  name: string,
  cfg: {
    url: string;
    connections: number;
    duration: number;
    method: string;
    headers: Record<string, string>;
    body?: string;
  },
  serverPid: number,
): Promise<CannonResult> {
  const child = spawnNode(['--import', 'tsx', AUTOCANNON, JSON.stringify(cfg)], {
    core: LOAD_CORE,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const cpu = new CpuWindow([serverPid]);
  const timer = setTimeout(() => void stopChild(child, 1000), (cfg.duration + 60) * 1000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const serverCpu = cpu.end();
  if (code !== 0) throw new Error(`autocannon (${name}) exited with ${code}`);
  return {
    name,
    ...(JSON.parse(out.trim().split('\n').pop()!) as Omit<CannonResult, 'name' | 'serverCpu'>),
    serverCpu,
  };
}

export interface PostingResult {
  connections: number;
  durationS: number;
  health: CannonResult;
  postApiToken: CannonResult;
  postAccessToken: CannonResult;
  /** POST rate / health rate on the same server in the same run. */
  ratioApiToken: number;
  ratioAccessToken: number;
  /** The same access-token POSTs and health rate with SQLITE_SYNCHRONOUS=NORMAL (no fsync per commit). */
  normal: { health: CannonResult; postAccessToken: CannonResult; ratio: number } | null;
}

export interface ResumeResult {
  missed: number;
  reps: number;
  /** Milliseconds from the reconnect to the last missed event, each repetition. */
  ms: number[];
  medianMs: number;
  eventsPerSec: number;
  bytesPerEvent: number;
}

export interface PostingConfig {
  connections: number;
  durationS: number;
  resumeMissed: number[];
  resumeReps: number;
  /** Also measure a second server with SQLITE_SYNCHRONOUS=NORMAL. */
  withNormal: boolean;
  /** Resume only (--only=resume): no autocannon runs. */
  resumeOnly?: boolean;
  log: (line: string) => void;
}

const BODY = JSON.stringify({
  text: 'a benchmark message of ordinary length, about as long as a chat line usually is',
});

async function healthAndPost(
  server: Running,
  fx: Fixture,
  token: string,
  label: string,
  cfg: PostingConfig,
): Promise<{ health: CannonResult; post: CannonResult }> {
  const base = `http://127.0.0.1:${server.port}`;
  const common = { connections: cfg.connections, duration: cfg.durationS };
  const health = await cannon(
    `GET /api/health${label.replace(/^ \(access token\),?/, '')}`,
    { ...common, url: `${base}/api/health`, method: 'GET', headers: {} },
    server.pid,
  );
  cfg.log(`  posting: ${health.name} ${Math.round(health.rps)} req/s (p99 ${health.latencyP99} ms)`);
  const post = await cannon(
    `POST message${label}`,
    {
      ...common,
      url: `${base}/api/rooms/${fx.roomId}/messages`,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: BODY,
    },
    server.pid,
  );
  cfg.log(`  posting: ${post.name} ${Math.round(post.rps)} req/s (p99 ${post.latencyP99} ms, non-2xx ${post.non2xx})`);
  return { health, post };
}

async function posting(server: Running, fx: Fixture, cfg: PostingConfig): Promise<Omit<PostingResult, 'normal'>> {
  const { health, post: postAccess } = await healthAndPost(server, fx, fx.poster.accessToken, ' (access token)', cfg);
  const base = `http://127.0.0.1:${server.port}`;
  const postApi = await cannon(
    'POST message (API token)',
    {
      connections: cfg.connections,
      duration: cfg.durationS,
      url: `${base}/api/rooms/${fx.roomId}/messages`,
      method: 'POST',
      headers: { authorization: `Bearer ${fx.poster.apiToken}`, 'content-type': 'application/json' },
      body: BODY,
    },
    server.pid,
  );
  cfg.log(
    `  posting: ${postApi.name} ${Math.round(postApi.rps)} req/s (p99 ${postApi.latencyP99} ms, non-2xx ${postApi.non2xx})`,
  );
  return {
    connections: cfg.connections,
    durationS: cfg.durationS,
    health,
    postApiToken: postApi,
    postAccessToken: postAccess,
    ratioApiToken: postApi.rps / health.rps,
    ratioAccessToken: postAccess.rps / health.rps,
  };
}

async function resume(server: Running, fx: Fixture, cfg: PostingConfig): Promise<ResumeResult[]> {
  const pool = await LoadPool.start(1);
  const results: ResumeResult[] = [];
  try {
    for (const M of cfg.resumeMissed) {
      const roomId = await parleyRoom(server.port, fx, `resume-${M}`);
      const head = Number(
        (
          await expectOk(
            request(server.port, 'GET', `/api/rooms/${roomId}`, undefined, {
              authorization: `Bearer ${fx.poster.apiToken}`,
            }),
            'room',
          )
        ).room.lastSeq,
      );
      const run = 500_000 + M;
      const t0 = performance.now();
      const posted = await postAtRate(
        {
          port: server.port,
          path: `/api/rooms/${roomId}/messages`,
          headers: { authorization: `Bearer ${fx.poster.accessToken}` },
        },
        run,
        20_000,
        (M / 20_000) * 1000,
        32,
        60_000 + M * 30,
      );
      if (posted.ok !== M)
        throw new Error(`resume: posted ${posted.ok} of ${M} (${posted.errors.slice(0, 3).join(', ')})`);
      cfg.log(`  resume: ${M} events posted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const ms: number[] = [];
      let bytes = 0;
      for (let rep = 0; rep < cfg.resumeReps; rep++) {
        await pool.window(run);
        const start = now();
        const c = await pool.connect(
          {
            mode: 'sse',
            port: server.port,
            path: `/api/rooms/${roomId}/events`,
            tokens: [fx.poster.accessToken],
            headers: { 'Last-Event-ID': String(head) },
            concurrency: 1,
            timeoutMs: 30_000,
          },
          1,
        );
        if (c.live !== 1) throw new Error(`resume: stream did not open (${c.errors.join(', ')})`);
        const got = await pool.waitFor(M, 60_000);
        const rep_ = await pool.report();
        if (got < M) throw new Error(`resume: got ${got} of ${M} missed events`);
        ms.push(rep_.lastAt - start);
        bytes = rep_.bytes;
        await pool.connect(
          { mode: 'sse', port: server.port, path: '', tokens: [], concurrency: 1, timeoutMs: 5000 },
          0,
        );
      }
      const sorted = [...ms].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      results.push({
        missed: M,
        reps: cfg.resumeReps,
        ms,
        medianMs: median,
        eventsPerSec: (M * 1000) / median,
        bytesPerEvent: bytes / M,
      });
      cfg.log(
        `  resume: ${M} missed events replayed in ${ms.map((x) => x.toFixed(0)).join(', ')} ms (median ${median.toFixed(0)} ms)`,
      );
    }
  } finally {
    await pool.close();
  }
  return results;
}

export async function postingAndResume(
  cfg: PostingConfig,
): Promise<{ posting: PostingResult | null; resume: ResumeResult[] }> {
  let normal: PostingResult['normal'] = null;
  if (cfg.withNormal && !cfg.resumeOnly) {
    const server = await startParley({ env: { SQLITE_SYNCHRONOUS: 'NORMAL' } });
    try {
      const fx = await parleyFixture(server.port, 1);
      const r = await healthAndPost(
        server,
        fx,
        fx.poster.accessToken,
        ' (access token), SQLITE_SYNCHRONOUS=NORMAL',
        cfg,
      );
      normal = { health: r.health, postAccessToken: r.post, ratio: r.post.rps / r.health.rps };
    } finally {
      await server.stop();
    }
  }
  const server = await startParley();
  try {
    const fx = await parleyFixture(server.port, 1);
    const p = cfg.resumeOnly ? null : await posting(server, fx, cfg);
    const r = await resume(server, fx, cfg);
    return { posting: p ? { ...p, normal } : null, resume: r };
  } finally {
    await server.stop();
  }
}
