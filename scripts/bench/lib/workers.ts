/** The orchestrator's side of the load processes: spawn them on the load core, spread connections, merge results. */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnectCommand, WorkerCommand, WorkerMessage } from './common.js';
import { Histogram } from './histogram.js';
import { LOAD_CORE, spawnNode, stopChild } from './proc.js';
import type { StreamTrack } from './tracking.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.join(HERE, '..', 'load', 'subscriber-worker.ts');

class Worker {
  private waiters: Array<{
    ev: WorkerMessage['ev'];
    resolve: (m: WorkerMessage) => void;
    reject: (e: Error) => void;
    timer: NodeJS.Timeout;
  }> = [];
  exited = false;
  constructor(readonly child: ChildProcess) {
    child.on('message', (msg: WorkerMessage) => {
      const i = this.waiters.findIndex((w) => w.ev === msg.ev);
      if (i < 0) return;
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(msg);
    });
    child.once('exit', (code, signal) => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new Error(`load worker ${child.pid} exited (${code ?? signal})`));
      }
    });
  }
  get pid(): number {
    return this.child.pid!;
  }
  request<E extends WorkerMessage['ev']>(
    cmd: WorkerCommand | null,
    ev: E,
    timeoutMs: number,
  ): Promise<Extract<WorkerMessage, { ev: E }>> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`load worker ${this.child.pid} is gone`));
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`load worker ${this.child.pid}: no '${ev}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ ev, resolve: resolve as (m: WorkerMessage) => void, reject, timer });
      if (cmd) this.child.send(cmd);
    });
  }
}

export interface ConnectResult {
  live: number;
  failed: number;
  ms: number;
  errors: string[];
}

export interface WindowResult {
  live: number;
  dropped: number;
  deliveries: number;
  bytes: number;
  hist: Histogram;
  firstAt: number;
  lastAt: number;
}

export class LoadPool {
  private constructor(private readonly workers: Worker[]) {}

  static async start(n: number): Promise<LoadPool> {
    const workers: Worker[] = [];
    for (let i = 0; i < n; i++) {
      const prof = process.env.BENCH_LOAD_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_LOAD_CPU_PROF}`]
        : [];
      const child = spawnNode([...prof, '--max-old-space-size=1024', '--import', 'tsx', WORKER], {
        core: LOAD_CORE,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      workers.push(new Worker(child));
    }
    const pool = new LoadPool(workers);
    try {
      await Promise.all(workers.map((w) => w.request(null, 'ready', 30_000)));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid);
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Brings the pool to `total` live connections, spread evenly. Distinct members: each worker gets its own share of
   * the tokens (as many as its connections), so no two connections anywhere hold one member's token. Every worker
   * connects from its own loopback address (127.0.0.2, .3, ...), so 10,000+ connections and their TIME_WAIT
   * leftovers never run out of ephemeral ports.
   */
  async connect(base: Omit<ConnectCommand, 'cmd' | 'target'>, total: number): Promise<ConnectResult> {
    const n = this.workers.length;
    const t0 = performance.now();
    const share = (i: number, of: number) => Math.floor(of / n) + (i < of % n ? 1 : 0);
    let from = 0;
    const results = await Promise.all(
      this.workers.map((w, i) => {
        const target = share(i, total);
        let tokens = base.tokens;
        if (base.distinct) {
          const k = share(i, base.tokens.length);
          tokens = base.tokens.slice(from, from + k);
          from += k;
        }
        const cmd: ConnectCommand = { cmd: 'connect', localAddress: `127.0.0.${2 + i}`, ...base, tokens, target };
        return w.request(cmd, 'connected', base.timeoutMs + 10_000);
      }),
    );
    return {
      live: results.reduce((a, r) => a + r.live, 0),
      failed: results.reduce((a, r) => a + r.failed, 0),
      ms: performance.now() - t0,
      errors: results.flatMap((r) => r.errors),
    };
  }

  /** Starts a measurement window: only frames of `run` count from now on. */
  async window(run: number): Promise<number> {
    const r = await Promise.all(this.workers.map((w) => w.request({ cmd: 'window', run }, 'count', 10_000)));
    return r.reduce((a, x) => a + x.live, 0);
  }

  async count(): Promise<{ count: number; live: number }> {
    const r = await Promise.all(this.workers.map((w) => w.request({ cmd: 'count' }, 'count', 10_000)));
    return { count: r.reduce((a, x) => a + x.count, 0), live: r.reduce((a, x) => a + x.live, 0) };
  }

  /** Polls until `expected` deliveries arrived or `timeoutMs` passed; returns the count seen. */
  async waitFor(expected: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    let seen = 0;
    for (let i = 0; i < 100_000 && performance.now() < deadline; i++) {
      seen = (await this.count()).count;
      if (seen >= expected) return seen;
      await new Promise((r) => setTimeout(r, 50));
    }
    return seen;
  }

  async report(): Promise<WindowResult> {
    const r = await Promise.all(this.workers.map((w) => w.request({ cmd: 'report' }, 'report', 20_000)));
    const hist = new Histogram();
    for (const x of r) hist.add(x.hist);
    const firsts = r.map((x) => x.firstAt).filter((t) => t > 0);
    return {
      live: r.reduce((a, x) => a + x.live, 0),
      dropped: r.reduce((a, x) => a + x.dropped, 0),
      deliveries: r.reduce((a, x) => a + x.count, 0),
      bytes: r.reduce((a, x) => a + x.bytes, 0),
      hist,
      firstAt: firsts.length ? Math.min(...firsts) : 0,
      lastAt: Math.max(0, ...r.map((x) => x.lastAt)),
    };
  }

  /**
   * Tracked streams (the storm): how many went live and how many reached `atLeast`. A load process that has just
   * opened its 2,500 streams and is reading their replays answers late: the first poll of a 10,000-member storm took
   * 3 s to answer, and after a restart sometimes over 10 s, which ended the run. Only the poll waits: when each stream
   * went live is recorded by the load process as its data arrives.
   */
  async trackCount(atLeast: number): Promise<{ live: number; caughtUp: number; streams: number }> {
    const r = await Promise.all(
      this.workers.map((w) => w.request({ cmd: 'track-count', atLeast }, 'track-count', 60_000)),
    );
    return {
      live: r.reduce((a, x) => a + x.live, 0),
      caughtUp: r.reduce((a, x) => a + x.caughtUp, 0),
      streams: r.reduce((a, x) => a + x.streams, 0),
    };
  }

  async trackReport(): Promise<StreamTrack[]> {
    const r = await Promise.all(this.workers.map((w) => w.request({ cmd: 'track-report' }, 'track-report', 30_000)));
    return r.flatMap((x) => x.streams);
  }

  /** Closes every connection and ends every worker (killing any that do not answer). */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (!w.exited) await w.request({ cmd: 'close' }, 'closed', 10_000).catch(() => undefined);
        await stopChild(w.child, 3000);
      }),
    );
  }
}
