import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { MEMBERS_FIRST_PAGE, MEMBERS_MAX_PAGE } from './limits.js';

/**
 * Durations are given as `900`, `900s`, `15m`, `24h` or `2d`; a bare number is milliseconds for *_MS knobs and
 * seconds otherwise.
 */
function duration(defaultValue: string, unitWhenBare: 'ms' | 's') {
  return z
    .string()
    .default(defaultValue)
    .transform((raw, ctx) => {
      const m = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/.exec(raw);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like 900s, 15m, 24h (got "${raw}")` });
        return z.NEVER;
      }
      const n = Number(m[1]);
      const unit = m[2] ?? unitWhenBare;
      const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
      const ms = n * factor;
      if (ms <= 0) {
        ctx.addIssue({ code: 'custom', message: 'must be greater than zero' });
        return z.NEVER;
      }
      return ms;
    });
}

/** An IPv4/IPv6 address, optionally with a /prefix, or one of proxy-addr's names for address ranges. */
function isProxyAddress(s: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(s)) return true;
  const [addr, prefix, ...rest] = s.split('/');
  const family = isIP(addr ?? '');
  if (!family || rest.length) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

function intInRange(defaultValue: number, min: number, max: number) {
  return z.coerce.number().int().min(min).max(max).default(defaultValue);
}

const EnvSchema = z.object({
  PORT: intInRange(3000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL: duration('15m', 's'),
  SESSION_TTL: duration('24h', 's'),
  HEARTBEAT_MS: duration('15000', 'ms'),
  /** A user whose last stream closed stays online this long, so a reconnect blip does not flap presence. */
  PRESENCE_GRACE_MS: duration('5000', 'ms'),
  /** Delivery receipts gather this long, then go to the store in one batch (one statement per room and seq). The
   * room's watermarks are announced at most once a second anyway, so flushing more often mostly adds writes. */
  RECEIPT_BATCH_MS: duration('1000', 'ms'),
  /** Presence changes in a room are collected this long and go out as one event per room. */
  PRESENCE_WINDOW_MS: duration('1000', 'ms'),
  /** Above this many members online, a room's presence events carry the count and only the people a client watches
   * (an event listing every change costs streams x changes bytes). */
  PRESENCE_FULL_LIMIT: intInRange(200, 0, 1_000_000),
  /** GET /api/rooms/:id/members answers this many members a page unless asked for another count (at most 1000). */
  MEMBERS_PAGE_SIZE: intInRange(MEMBERS_FIRST_PAGE, 1, MEMBERS_MAX_PAGE),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'expected a mongodb:// or mongodb+srv:// connection string')
    .optional(),
  /** Mongo mode: how long an instance's presence outlives its last heartbeat (a crashed instance's users go offline
   * within about 4/3 of it). */
  PRESENCE_TTL_MS: intInRange(30_000, 3000, 300_000),
  /** Reverse proxies whose X-Forwarded-* to believe: `false`, a hop count, or their addresses (see trustProxy). */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((raw, ctx) => {
      const v = raw.trim();
      if (v === 'false' || v === '0') return false;
      if (/^\d+$/.test(v)) return Number(v);
      if (v === 'true') {
        ctx.addIssue({
          code: 'custom',
          message:
            'true would believe any X-Forwarded-For a client sends; give the number of proxies in front ' +
            '(1 for one nginx) or their addresses',
        });
        return z.NEVER;
      }
      const entries = v.split(',').map((s) => s.trim());
      const bad = entries.filter((s) => !isProxyAddress(s));
      if (bad.length) {
        const message = `expected false, a hop count or IP addresses/CIDRs (got "${bad.join('", "')}")`;
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return entries;
    }),
  /** Oldest resume position (in events behind the room head) a stream will replay; older gets `reset`. */
  REPLAY_LIMIT: intInRange(100_000, 1, 10_000_000),
  /** Bytes a subscriber may have queued and unsent before it is disconnected as too slow. */
  SSE_MAX_QUEUE_BYTES: intInRange(1 << 20, 4096, 1 << 30),
  /** How long frames wait to share a socket write with later ones (0: one write per stream per event-loop turn). */
  SSE_FLUSH_MS: intInRange(0, 0, 1000),
  /** Memory (MiB) for recent events kept encoded for resuming streams. */
  REPLAY_CACHE_MB: intInRange(64, 0, 65_536),
  /** Stream opens let through per event-loop turn at most (fewer while turns run long); a storm waits in line. */
  STREAM_OPENS_PER_TURN: intInRange(256, 1, 100_000),
  /** New connections read at once (each until its first request is in); the rest wait, paused, in line. */
  NEW_CONNECTIONS_AT_ONCE: intInRange(32, 1, 100_000),
  /** The listen backlog: connections the kernel holds for the server to accept (a restart reconnects everyone). */
  LISTEN_BACKLOG: intInRange(4096, 1, 1_000_000),
  /** Event streams one user may have open at once on an instance (429 beyond). */
  MAX_STREAMS_PER_USER: intInRange(20, 1, 1_000_000),
  /** A request must arrive whole (headers and body) within this long, else 408; the headers within 30 s of it.
   * Streams are unaffected: their request is complete once its headers are in. */
  REQUEST_TIMEOUT: duration('60s', 's'),
  /** SQLite durability: FULL fsyncs every commit (survives power loss); NORMAL survives process crashes only. */
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  BCRYPT_ROUNDS: intInRange(12, 4, 15),
  /** Largest accepted upload, in bytes (413 beyond, detected while streaming). */
  UPLOAD_MAX_BYTES: intInRange(10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  /** Largest accepted image in pixels (width x height x frames, deeper than 8-bit RGBA counting extra): refuses
   * decompression bombs and bounds the memory one image job takes (about 8 bytes per pixel at the limit). */
  UPLOAD_MAX_PIXELS: intInRange(24_000_000, 1, 1_000_000_000),
  /** Image jobs (decode, re-encode, thumbnail) run at once; the rest wait in a queue of UPLOAD_QUEUE, beyond which
   * uploads get 503. Each job can hold a few hundred MiB at the pixel limit. */
  UPLOAD_CONCURRENCY: intInRange(2, 1, 64),
  UPLOAD_QUEUE: intInRange(8, 0, 1000),
  /** Bytes of uploads per user that no message uses yet (413 UPLOAD_QUOTA_EXCEEDED beyond). */
  UPLOAD_QUOTA_BYTES: intInRange(100 * 1024 * 1024, 1024, 1024 * 1024 * 1024 * 1024),
  /** Unused uploads (never attached to a message) are removed after this long. */
  UPLOAD_RETENTION: duration('24h', 's'),
  /** Registrations (accepted or not) allowed per IP within REGISTER_WINDOW before 429. */
  REGISTER_MAX_PER_IP: intInRange(30, 1, 100_000),
  REGISTER_WINDOW: duration('1h', 's'),
  /** Failed logins allowed per account from one IP, and per IP, within LOGIN_WINDOW before 429. */
  LOGIN_MAX_FAILURES_PER_ACCOUNT: intInRange(5, 1, 1000),
  LOGIN_MAX_FAILURES_PER_IP: intInRange(20, 1, 100_000),
  LOGIN_WINDOW: duration('15m', 's'),
  /** Messages one user may post per MESSAGE_RATE_WINDOW before 429 (0: no limit). */
  MESSAGE_RATE_LIMIT: intInRange(1200, 0, 100_000_000),
  MESSAGE_RATE_WINDOW: duration('1m', 's'),
  /** Rooms one user may create per ROOM_RATE_WINDOW before 429 (0: no limit). */
  ROOM_RATE_LIMIT: intInRange(200, 0, 100_000_000),
  ROOM_RATE_WINDOW: duration('1h', 's'),
});

export type Env = z.input<typeof EnvSchema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  jwtSecret: string;
  accessTokenTtlMs: number;
  sessionTtlMs: number;
  heartbeatMs: number;
  presenceGraceMs: number;
  receiptBatchMs: number;
  presenceWindowMs: number;
  presenceFullLimit: number;
  membersPageSize: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  mongodbUri: string | undefined;
  presenceTtlMs: number;
  /**
   * Fastify's trustProxy: false, the number of proxy hops in front, or the proxies' addresses. Only these hops'
   * X-Forwarded-For entries are believed; the client IP is the first address they did not add.
   */
  trustProxy: false | number | string[];
  replayLimit: number;
  sseMaxQueueBytes: number;
  sseFlushMs: number;
  replayCacheBytes: number;
  streamOpensPerTurn: number;
  newConnectionsAtOnce: number;
  listenBacklog: number;
  maxStreamsPerUser: number;
  requestTimeoutMs: number;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  bcryptRounds: number;
  uploads: {
    maxBytes: number;
    maxPixels: number;
    retentionMs: number;
    concurrency: number;
    queue: number;
    quotaBytes: number;
  };
  register: { maxPerIp: number; windowMs: number };
  /** maxFailuresPerAccount counts per account and IP: failures from elsewhere never lock the owner out. */
  login: { maxFailuresPerAccount: number; maxFailuresPerIp: number; windowMs: number };
  /** Per-user limits; max 0 turns one off. */
  rateLimits: { messages: RateLimit; rooms: RateLimit };
}

export interface RateLimit {
  max: number;
  windowMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the secret kept in DATA_DIR, creating it once, so tokens survive restarts without configuration. */
function persistedSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  try {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

type TrustProxyOption = false | string[] | ((address: string, hop: number) => boolean);

/** Config.trustProxy as Fastify's option: a hop count becomes the function Fastify makes of one (its types lack it). */
export function trustProxyOption(tp: Config['trustProxy']): TrustProxyOption {
  return typeof tp === 'number' ? (_address, hop) => hop < tp : tp;
}

/** Environment -> validated Config. Throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = EnvSchema.safeParse(relevant);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if (e.MONGODB_URI && !e.JWT_SECRET) {
    // Every instance must verify every other instance's tokens, so a per-instance generated secret cannot work.
    throw new ConfigError(['JWT_SECRET: required when MONGODB_URI is set (all instances must share it)']);
  }
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    jwtSecret: e.JWT_SECRET ?? persistedSecret(dataDir),
    accessTokenTtlMs: e.ACCESS_TOKEN_TTL,
    sessionTtlMs: e.SESSION_TTL,
    heartbeatMs: e.HEARTBEAT_MS,
    presenceGraceMs: e.PRESENCE_GRACE_MS,
    receiptBatchMs: e.RECEIPT_BATCH_MS,
    presenceWindowMs: e.PRESENCE_WINDOW_MS,
    presenceFullLimit: e.PRESENCE_FULL_LIMIT,
    membersPageSize: e.MEMBERS_PAGE_SIZE,
    logLevel: e.LOG_LEVEL,
    mongodbUri: e.MONGODB_URI,
    presenceTtlMs: e.PRESENCE_TTL_MS,
    trustProxy: e.TRUST_PROXY,
    replayLimit: e.REPLAY_LIMIT,
    sseMaxQueueBytes: e.SSE_MAX_QUEUE_BYTES,
    sseFlushMs: e.SSE_FLUSH_MS,
    replayCacheBytes: e.REPLAY_CACHE_MB * 1024 * 1024,
    streamOpensPerTurn: e.STREAM_OPENS_PER_TURN,
    newConnectionsAtOnce: e.NEW_CONNECTIONS_AT_ONCE,
    listenBacklog: e.LISTEN_BACKLOG,
    maxStreamsPerUser: e.MAX_STREAMS_PER_USER,
    requestTimeoutMs: e.REQUEST_TIMEOUT,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    bcryptRounds: e.BCRYPT_ROUNDS,
    uploads: {
      maxBytes: e.UPLOAD_MAX_BYTES,
      maxPixels: e.UPLOAD_MAX_PIXELS,
      retentionMs: e.UPLOAD_RETENTION,
      concurrency: e.UPLOAD_CONCURRENCY,
      queue: e.UPLOAD_QUEUE,
      quotaBytes: e.UPLOAD_QUOTA_BYTES,
    },
    register: { maxPerIp: e.REGISTER_MAX_PER_IP, windowMs: e.REGISTER_WINDOW },
    login: {
      maxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      windowMs: e.LOGIN_WINDOW,
    },
    rateLimits: {
      messages: { max: e.MESSAGE_RATE_LIMIT, windowMs: e.MESSAGE_RATE_WINDOW },
      rooms: { max: e.ROOM_RATE_LIMIT, windowMs: e.ROOM_RATE_WINDOW },
    },
  };
}
