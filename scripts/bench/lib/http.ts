/** A small keep-alive HTTP client for setup calls and the fixed-rate poster (only ever to 127.0.0.1). */
import http from 'node:http';
import { benchText, now } from './common.js';
import { Histogram } from './histogram.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

export interface Reply {
  status: number;
  // The benchmark reads a few known fields of its own server's replies.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export function request(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        timeout: timeoutMs,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function expectOk(p: Promise<Reply>, what: string): Promise<Reply['body']> {
  const r = await p;
  if (r.status < 200 || r.status >= 300)
    throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

export async function waitForHealth(port: number, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    try {
      const r = await request(port, 'GET', path, undefined, {}, 1000);
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server on port ${port} not healthy after ${timeoutMs} ms (${last})`);
}

export interface PostTarget {
  port: number;
  path: string;
  headers: Record<string, string>;
}

export interface PostResult {
  planned: number;
  sent: number;
  ok: number;
  failed: number;
  errors: string[];
  /** Seconds from the first post to the last one sent. */
  sendSeconds: number;
  achievedRate: number;
  response: ReturnType<Histogram['summary']>;
}

/**
 * Posts `rate` messages per second for `durationMs`, open loop: each post goes out on its schedule whether or not
 * earlier ones were answered (at most `maxInflight` outstanding; a poster that hits that bound falls behind and the
 * run reports the achieved rate). Each text carries the run and its send time.
 */
export async function postAtRate(
  target: PostTarget,
  run: number,
  rate: number,
  durationMs: number,
  maxInflight = 256,
  timeLimitMs = durationMs + 30_000,
): Promise<PostResult> {
  const planned = Math.max(1, Math.round((rate * durationMs) / 1000));
  const response = new Histogram();
  const errors = new Map<string, number>();
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let inflight = 0;
  const t0 = performance.now();
  let lastSend = t0;
  await new Promise<void>((resolve) => {
    const hardStop = setTimeout(() => {
      if (sent < planned) errors.set(`poster stopped at its ${Math.round(timeLimitMs / 1000)} s limit`, planned - sent);
      finish();
    }, timeLimitMs);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(hardStop);
      resolve();
    };
    const sendOne = () => {
      sent++;
      inflight++;
      lastSend = performance.now();
      const start = now();
      request(target.port, 'POST', target.path, { text: benchText(run) }, target.headers, 30_000)
        .then((r) => {
          if (r.status >= 200 && r.status < 300) ok++;
          else {
            failed++;
            const k = `HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`;
            errors.set(k, (errors.get(k) ?? 0) + 1);
          }
        })
        .catch((err: Error) => {
          failed++;
          errors.set(err.message, (errors.get(err.message) ?? 0) + 1);
        })
        .finally(() => {
          response.record(now() - start);
          inflight--;
          if (sent >= planned && inflight === 0) finish();
        });
    };
    const tick = () => {
      if (done) return;
      const elapsed = performance.now() - t0;
      const due = Math.min(planned, Math.floor((elapsed * rate) / 1000) + 1);
      while (sent < due && inflight < maxInflight) sendOne();
      if (sent >= planned) return; // the last answers finish it
      const nextAt = (sent * 1000) / rate;
      setTimeout(tick, Math.max(0, Math.min(50, nextAt - elapsed)));
    };
    tick();
  });
  const sendSeconds = (lastSend - t0) / 1000;
  return {
    planned,
    sent,
    ok,
    failed,
    errors: [...errors].map(([k, v]) => `${v}x ${k}`),
    sendSeconds,
    achievedRate: sent > 1 && sendSeconds > 0 ? (sent - 1) / sendSeconds : rate,
    response: response.summary(),
  };
}
