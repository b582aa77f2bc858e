/**
 * Fan-out: S subscribers of one room, messages posted over HTTP at a fixed rate; post -> delivery latency at every
 * subscriber. The same search runs against Parley, the Socket.IO peer and the raw-socket ceiling.
 */
import type { Mode } from '../lib/common.js';
import { now } from '../lib/common.js';
import type { LatencySummary } from '../lib/histogram.js';
import { postAtRate, type PostResult, type PostTarget } from '../lib/http.js';
import { CpuWindow, OtherCpuWindow, RssSampler, sleep } from '../lib/proc.js';
import { parleyFixture, startLimit, startParley, startPeer, type Running } from '../lib/targets.js';
import { LoadPool } from '../lib/workers.js';

export type System = 'parley' | 'socket.io' | 'raw';

export interface FanoutConfig {
  sizes: number[];
  workers: number;
  /** Subscriber users (each holds many streams). */
  users: number;
  /** Length of one measured step. */
  stepMs: number;
  /** First rate tried is startDeliveries / S messages per second; each next step doubles it. */
  startDeliveries: number;
  maxClimb: number;
  /** Extra steps at the geometric middle of each bracket (the 100 ms one and the keeping-up one). */
  refine: number;
  /** The latency target: the headline rate is the highest with p99 under it. */
  p99LimitMs: number;
  /** Keeping up: p99 under this, nothing lost, no subscriber dropped, the rate achieved; the capacity rate. */
  keepUpP99Ms: number;
  /** A failed step is repeated (up to noiseRetries times) when other processes used more than this much CPU (cores). */
  noisyOtherCpu: number;
  noiseRetries: number;
  /** Retries left for the whole run (shared by every system and size), so a noisy machine cannot stretch it far. */
  retryBudget: { left: number };
  log: (line: string) => void;
  /**
   * Parley with distinct members (scenarios/members.ts): starts a server whose room has exactly S members and gives
   * one token per member. Without it, Parley's room has `users` members holding many streams each.
   */
  /** Rates (msg/s) to measure as well, whatever the search found: the issue's targets are set at given rates. */
  targetRates?: Record<number, number>;
  members?: (
    S: number,
  ) => Promise<{ server: Running; roomId: string; tokens: string[]; posterToken: string; streamPath?: string }>;
}

export interface Step {
  rate: number;
  subscribers: number;
  /** p99 under p99LimitMs and keeping up. */
  pass: boolean;
  /** Everything delivered, nobody dropped, the rate achieved, p99 under keepUpP99Ms. */
  keptUp: boolean;
  why: string;
  post: PostResult;
  deliveries: number;
  expected: number;
  /** Frames received by all subscribers / max(step length, first post to last delivery). */
  deliveriesPerSec: number;
  latency: LatencySummary;
  bytesPerDelivery: number;
  serverCpu: number;
  /** Server CPU time per delivery, microseconds (robust to other work on the machine, unlike latency). */
  serverUsPerDelivery: number;
  loadCpu: number;
  /** CPU used by processes outside the benchmark during the step (other work on the machine), in cores. */
  otherCpu: number;
  peakRssMiB: number;
  dropped: number;
  /** Times this step was repeated because other work on the machine disturbed it. */
  retries?: number;
}

export interface SizeResult {
  system: System;
  /** 'members': one stream per distinct member; 'streams' (or absent, in older results): many streams per user. */
  scenario?: 'members' | 'streams';
  subscribers: number;
  connectMs: number;
  connectFailed: number;
  /** From the first connection to every subscriber having received the warm-up probe (all live). */
  liveMs?: number;
  /** Why no step was measured (not all subscribers connected, or the probe did not reach them all). */
  failure?: string;
  steps: Step[];
  /** The highest step with p99 under the limit (and keeping up), or null. */
  best: Step | null;
  /** The highest step that kept up (capacity), or null. */
  capacity: Step | null;
}

let runCounter = 1;

const round2 = (x: number) => {
  if (x >= 10) return Math.round(x);
  if (x >= 1) return Math.round(x * 10) / 10;
  return Math.round(x * 100) / 100;
};

async function measure(
  pool: LoadPool,
  server: Running,
  target: PostTarget,
  rate: number,
  cfg: FanoutConfig,
): Promise<Step> {
  const run = runCounter++;
  const subscribers = await pool.window(run);
  const cpuS = new CpuWindow([server.pid]);
  const cpuL = new CpuWindow(pool.pids, true);
  const cpuO = new OtherCpuWindow([server.pid, ...pool.pids]);
  const rss = new RssSampler(server.pid);
  const t0 = now();
  const post = await postAtRate(target, run, rate, cfg.stepMs);
  const expected = subscribers * post.ok;
  await pool.waitFor(expected, Math.max(3000, cfg.stepMs));
  const serverCpu = cpuS.end();
  const serverCpuSeconds = cpuS.seconds();
  const loadCpu = cpuL.end();
  const otherCpu = cpuO.end();
  const peak = rss.stop();
  const rep = await pool.report();
  const latency = rep.hist.summary();
  const span = Math.max(post.planned / rate, rep.lastAt > t0 ? (rep.lastAt - t0) / 1000 : 0);
  const lost = expected - rep.deliveries;
  const whys: string[] = [];
  if (post.failed > 0) whys.push(`${post.failed} posts failed`);
  if (post.achievedRate < rate * 0.9) whys.push(`poster reached ${post.achievedRate.toFixed(1)}/s`);
  if (lost > 0) whys.push(`${lost} deliveries missing`);
  if (rep.live < subscribers) whys.push(`${subscribers - rep.live} subscribers disconnected`);
  const keptUp = whys.length === 0 && latency.p99 < cfg.keepUpP99Ms;
  if (!(latency.p99 < cfg.p99LimitMs)) whys.push(`p99 ${latency.p99.toFixed(1)} ms`);
  return {
    rate,
    subscribers,
    pass: whys.length === 0,
    keptUp,
    why: whys.join('; ') || 'ok',
    post,
    deliveries: rep.deliveries,
    expected,
    deliveriesPerSec: rep.deliveries / span,
    latency,
    bytesPerDelivery: rep.deliveries ? rep.bytes / rep.deliveries : 0,
    serverCpu,
    serverUsPerDelivery: rep.deliveries ? (serverCpuSeconds * 1e6) / rep.deliveries : NaN,
    loadCpu,
    otherCpu,
    peakRssMiB: peak / 2 ** 20,
    dropped: subscribers - rep.live,
  };
}

/** Waits until late deliveries of an overloaded step stop arriving (bounded). */
async function settle(pool: LoadPool, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = -1;
  for (let i = 0; i < 1000 && performance.now() < deadline; i++) {
    const { count } = await pool.count();
    if (count === last) return;
    last = count;
    await sleep(400);
  }
}

/**
 * Doubles the rate from startDeliveries / S while the server keeps up, then refines both brackets (p99 under the
 * limit, and keeping up) with a step at their geometric middle.
 */
async function search(
  system: System,
  pool: LoadPool,
  server: Running,
  target: PostTarget,
  S: number,
  cfg: FanoutConfig,
  reconnect: () => Promise<unknown>,
): Promise<Step[]> {
  const base = round2(cfg.startDeliveries / S);
  const steps: Step[] = [];
  const run = async (rate: number): Promise<Step> => {
    let step = await measure(pool, server, target, rate, cfg);
    // A step that failed while other work on the machine took a good share of a CPU is noise, not a result: retry it.
    for (
      let retry = 0;
      !step.pass && step.otherCpu > cfg.noisyOtherCpu && retry < cfg.noiseRetries && cfg.retryBudget.left > 0;
      retry++
    ) {
      cfg.retryBudget.left--;
      cfg.log(
        `    ${system.padEnd(9)} S=${S} rate=${rate}/s: failed (${step.why}) while other processes used ${(step.otherCpu * 100).toFixed(0)}% CPU; retrying`,
      );
      await settle(pool, 15_000);
      if (step.dropped > 0) await reconnect();
      step = { ...(await measure(pool, server, target, rate, cfg)), retries: retry + 1 };
    }
    steps.push(step);
    const verdict = step.pass ? 'pass' : step.keptUp ? `kept up, ${step.why}` : `FAIL: ${step.why}`;
    cfg.log(
      `    ${system.padEnd(9)} S=${S} rate=${rate}/s: p50 ${step.latency.p50.toFixed(1)} p99 ${step.latency.p99.toFixed(1)} max ${step.latency.max.toFixed(1)} ms, ` +
        `post ${step.post.response.p50.toFixed(1)} ms, ${Math.round(step.deliveriesPerSec)} deliveries/s, server cpu ${(step.serverCpu * 100).toFixed(0)}% (${step.serverUsPerDelivery.toFixed(1)} µs/delivery), ` +
        `load cpu ${(step.loadCpu * 100).toFixed(0)}%, other ${(step.otherCpu * 100).toFixed(0)}% -> ${verdict}`,
    );
    if (!step.pass) await settle(pool, 15_000);
    if (step.dropped > 0) await reconnect();
    return step;
  };
  // Brackets: [highest rate that passed, lowest that did not] for the latency target and for keeping up.
  let passLo: number | null = null;
  let passHi: number | null = null;
  let keepLo: number | null = null;
  let keepHi: number | null = null;
  const note = (st: Step) => {
    if (st.pass) passLo = Math.max(passLo ?? 0, st.rate);
    else passHi = Math.min(passHi ?? Infinity, st.rate);
    if (st.keptUp) keepLo = Math.max(keepLo ?? 0, st.rate);
    else keepHi = Math.min(keepHi ?? Infinity, st.rate);
  };
  for (let k = 0, rate = base; k < cfg.maxClimb; k++, rate = round2(rate * 2)) {
    const st = await run(rate);
    note(st);
    if (!st.keptUp) break;
  }
  if (keepLo === null) {
    // Not even the first rate kept up: step down.
    for (let k = 0, rate = round2(base / 2); k < 3 && rate > 0; k++, rate = round2(rate / 2)) {
      const st = await run(rate);
      note(st);
      if (st.keptUp) break;
    }
  }
  if (passLo === null && keepLo !== null && passHi !== null) {
    // It keeps up but never met the latency target: one step at half the lowest rate tried, in case it does there.
    const rate = round2(Math.min(...steps.map((x) => x.rate)) / 2);
    if (rate > 0) note(await run(rate));
  }
  const targetRate = cfg.targetRates?.[S];
  if (targetRate !== undefined && !steps.some((x) => x.rate === targetRate)) note(await run(targetRate));
  for (let k = 0; k < cfg.refine; k++) {
    for (const which of ['pass', 'keep'] as const) {
      const lo: number | null = which === 'pass' ? passLo : keepLo;
      const hi: number | null = which === 'pass' ? passHi : keepHi;
      if (lo === null || hi === null) continue;
      const mid = round2(Math.sqrt(lo * hi));
      if (mid <= lo || mid >= hi || steps.some((x) => x.rate === mid)) continue;
      note(await run(mid));
    }
  }
  return steps;
}

export async function fanout(system: System, cfg: FanoutConfig): Promise<SizeResult[]> {
  const results: SizeResult[] = [];
  let server: Running | null = null;
  let pool: LoadPool | null = null;
  try {
    let mode: Mode;
    let connectPort: number;
    let path = '';
    let tokens: string[] = [];
    let target: PostTarget;
    const distinct = system === 'parley' && cfg.members !== undefined;
    const scenarioOf = cfg.members || system !== 'parley' ? 'members' : 'streams';
    if (system === 'parley' && cfg.members) {
      // One room per size, so the server is started inside the size loop below.
      mode = 'sse';
      connectPort = 0;
      target = { port: 0, path: '', headers: {} };
    } else if (system === 'parley') {
      server = await startParley();
      const fx = await parleyFixture(server.port, cfg.users);
      mode = 'sse';
      connectPort = server.port;
      path = `/api/rooms/${fx.roomId}/events`;
      tokens = fx.subscriberTokens;
      target = {
        port: server.port,
        path: `/api/rooms/${fx.roomId}/messages`,
        headers: { authorization: `Bearer ${fx.poster.accessToken}` },
      };
    } else if (system === 'socket.io') {
      server = await startPeer();
      mode = 'eio';
      connectPort = server.port;
      target = { port: server.port, path: '/post', headers: {} };
    } else {
      const limit = await startLimit();
      server = limit;
      mode = 'raw';
      connectPort = limit.subscriberPort;
      target = { port: limit.port, path: '/post', headers: {} };
    }
    pool = await LoadPool.start(cfg.workers);
    const p = pool;
    for (const S of cfg.sizes) {
      if (cfg.members) {
        if (server) {
          await p.connect({ mode, port: connectPort, path, tokens: [], concurrency: 1, timeoutMs: 5000 }, 0);
          await server.stop();
        }
        server = null;
        const m = await cfg.members(S);
        server = m.server;
        connectPort = m.server.port;
        path = m.streamPath ?? `/api/rooms/${m.roomId}/events`;
        tokens = m.tokens;
        target = {
          port: m.server.port,
          path: `/api/rooms/${m.roomId}/messages`,
          headers: { authorization: `Bearer ${m.posterToken}` },
        };
      }
      const connect = () =>
        p.connect({ mode, port: connectPort, path, tokens, distinct, concurrency: 32, timeoutMs: 120_000 }, S);
      const unmeasured = (failure: string, c: { ms: number; failed: number }) => {
        cfg.log(`  ${system}: ${failure}`);
        results.push({
          system,
          scenario: scenarioOf,
          subscribers: S,
          connectMs: c.ms,
          connectFailed: c.failed,
          failure,
          steps: [],
          best: null,
          capacity: null,
        });
      };
      const t0 = performance.now();
      const c = await connect();
      cfg.log(
        `  ${system}: ${c.live} subscribers connected in ${(c.ms / 1000).toFixed(1)} s${c.failed ? ` (${c.failed} failed: ${c.errors.slice(0, 3).join(', ')})` : ''}`,
      );
      if (c.live < S) {
        unmeasured(`only ${c.live} of ${S} subscribers connected (${c.errors.slice(0, 3).join(', ')})`, c);
        continue;
      }
      // Warm-up: every subscriber must receive a probe before measuring (proves all streams are live).
      const run = runCounter++;
      await p.window(run);
      const probe = await postAtRate(target, run, 10, 300);
      const got = await p.waitFor(S * probe.ok, 60_000);
      const liveMs = performance.now() - t0;
      if (probe.ok === 0 || got < S * probe.ok) {
        unmeasured(`warm-up probe reached ${got} of ${S * probe.ok} deliveries (${probe.errors.join(', ')})`, c);
        continue;
      }
      cfg.log(
        `  ${system}: all ${S} live (warm-up probe received) ${(liveMs / 1000).toFixed(1)} s after connecting began`,
      );
      await sleep(300);
      const steps = await search(system, p, server!, target, S, cfg, connect);
      const highest = (ok: (x: Step) => boolean) => steps.filter(ok).sort((a, b) => b.rate - a.rate)[0] ?? null;
      results.push({
        system,
        scenario: scenarioOf,
        subscribers: S,
        connectMs: c.ms,
        connectFailed: c.failed,
        liveMs,
        steps,
        best: highest((x) => x.pass),
        capacity: highest((x) => x.keptUp),
      });
    }
  } finally {
    await pool?.close();
    await server?.stop();
  }
  return results;
}
