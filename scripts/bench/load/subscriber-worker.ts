/**
 * A load process holding thousands of subscriber connections: Parley SSE streams (`sse`), Socket.IO websockets
 * spoken at the wire level (`eio`), or bare sockets of the raw ceiling (`raw`). It never parses frames: it finds the
 * `bench:<run>:<time>` marker in the received bytes and records post -> delivery latency. Driven over IPC.
 */
import net from 'node:net';
import { MARKER, now, type ConnectCommand, type Mode, type WorkerCommand, type WorkerMessage } from '../lib/common.js';
import { Histogram } from '../lib/histogram.js';
import { feed, newTrack, type StreamTrack } from '../lib/tracking.js';

const MARK = Buffer.from(MARKER);
const M0 = MARK[0]!;
const HEADER_END = Buffer.from('\r\n\r\n');
/** The one read buffer of every socket (`onread`): a chunk is a view into it, valid only during its callback. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
/** engine.io ping from the server: a one-byte text frame "2"; the answer is a masked "3" (zero mask key). */
const EIO_PING = Buffer.from([0x81, 0x01, 0x32]);
const EIO_PONG = Buffer.from([0x81, 0x81, 0, 0, 0, 0, 0x33]);
const EIO_CONNECT = Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x34, 0x30]); // "40": connect to the main namespace

let currentRun = -1;
const hist = new Histogram();
let count = 0;
let bytes = 0;
let firstAt = 0;
let lastAt = 0;
let dropped = 0;
let closing = false;

interface Conn {
  socket: net.Socket;
  mode: Mode;
  ready: boolean;
  /** Handshake bytes until ready; afterwards a split marker carried to the next chunk. */
  pending: Buffer | null;
  eioOpened: boolean;
  /** The distinct member's token this connection holds (returned to the free list when it closes). */
  token?: string;
  /** Tracked streams (the storm): ids and liveness, read line by line. */
  track?: StreamTrack;
}

const live = new Set<Conn>();
/** Tracked streams of the last tracked connect (closed ones stay: their record still counts). */
let tracks: StreamTrack[] = [];
/** Distinct members' tokens not held by a live or opening connection. */
let freeTokens: string[] = [];

function send(msg: WorkerMessage): void {
  process.send?.(msg);
}

function scan(conn: Conn, buf: Buffer): void {
  const len = buf.length;
  let i = 0;
  let t = 0;
  for (;;) {
    const j = buf.indexOf(MARK, i);
    if (j < 0) break;
    let k = j + MARK.length;
    let run = 0;
    while (k < len && buf[k]! >= 48 && buf[k]! <= 57) run = run * 10 + buf[k++]! - 48;
    const s = ++k; // skip ':'
    while (k < len && ((buf[k]! >= 48 && buf[k]! <= 57) || buf[k] === 46)) k++;
    if (k >= len) {
      conn.pending = Buffer.from(buf.subarray(j)); // the number may continue in the next chunk
      return;
    }
    if (run === currentRun) {
      if (t === 0) t = now();
      const posted = Number(buf.toString('latin1', s, k));
      hist.record(t - posted);
      count++;
      if (firstAt === 0) firstAt = t;
      lastAt = t;
    }
    i = k;
  }
  // A marker may be split across reads: keep a tail that could start one.
  for (let p = Math.max(i, len - (MARK.length - 1)); p < len; p++) {
    if (buf[p] === M0) {
      conn.pending = Buffer.from(buf.subarray(p));
      return;
    }
  }
}

/** Received bytes of a ready connection: the marker scan, or the line reader of a tracked stream. */
function deliver(conn: Conn, buf: Buffer): void {
  if (!conn.track) return scan(conn, buf);
  const t = now();
  const [carry, seen] = feed(conn.track, conn.pending, buf, { run: currentRun, now: t, hist });
  conn.pending = carry;
  if (seen > 0) {
    count += seen;
    if (firstAt === 0) firstAt = t;
    lastAt = t;
  }
}

/** `chunk` is a view of READ_BUFFER: whatever is kept past this call is copied. */
function onData(conn: Conn, chunk: Buffer, onReady: (ok: boolean, why?: string) => void): void {
  bytes += chunk.length;
  let buf = chunk;
  if (conn.pending) {
    buf = Buffer.concat([conn.pending, chunk]);
    conn.pending = null;
  }
  if (conn.ready) {
    if (conn.mode === 'eio' && buf.indexOf(EIO_PING) >= 0) conn.socket.write(EIO_PONG);
    deliver(conn, buf);
    return;
  }
  const keep = () => void (conn.pending = buf === chunk ? Buffer.from(buf) : buf);
  // Handshake.
  if (conn.mode === 'raw') {
    const nl = buf.indexOf(10);
    if (nl < 0) return keep();
    conn.ready = true;
    onReady(true);
    if (nl + 1 < buf.length) scan(conn, buf.subarray(nl + 1));
    return;
  }
  const end = buf.indexOf(HEADER_END);
  if (end < 0) return keep();
  const status = buf.toString('latin1', 0, 12);
  if (conn.mode === 'sse') {
    if (status !== 'HTTP/1.1 200') return onReady(false, describe(buf, end));
    conn.ready = true;
    onReady(true);
    if (end + 4 < buf.length) deliver(conn, buf.subarray(end + 4));
    return;
  }
  // Socket.IO: 101, then the engine.io open packet `0{...}`; answer `40`, wait for the namespace's `40{...}`.
  if (status !== 'HTTP/1.1 101') return onReady(false, describe(buf, end));
  const body = buf.toString('latin1', end + 4);
  if (!conn.eioOpened && body.includes('0{"sid"')) {
    conn.eioOpened = true;
    conn.socket.write(EIO_CONNECT);
  }
  if (body.includes('40{')) {
    conn.ready = true;
    onReady(true);
    return;
  }
  keep();
}

/** A refused handshake: its status line and the start of its body. */
function describe(buf: Buffer, headerEnd: number): string {
  const statusLine = buf.toString('latin1', 0, buf.indexOf('\r\n'));
  return `${statusLine} ${buf.toString('utf8', headerEnd + 4, Math.min(buf.length, headerEnd + 4 + 160))}`;
}

function requestFor(cmd: ConnectCommand, n: number, token?: string): string {
  const host = `127.0.0.1:${cmd.port}`;
  if (cmd.mode === 'eio') {
    return (
      `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${Buffer.from(`bench-key-${n}`.padEnd(16, '.').slice(0, 16)).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
    );
  }
  token ??= cmd.tokens[n % Math.max(1, cmd.tokens.length)];
  let req = `GET ${cmd.path} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n`;
  if (token) req += `Authorization: Bearer ${token}\r\n`;
  for (const [k, v] of Object.entries(cmd.headers ?? {})) req += `${k}: ${v}\r\n`;
  return req + '\r\n';
}

let seq = 0;

/**
 * The local port of the next connection, picked here rather than by the kernel. A bind to port 0 makes the kernel
 * search its bind table for a free port, walking the owners of every port it tries: in a 10,000-member storm that
 * search was 14% of the load CPU (perf: `__inet_bind`, about 200 µs a connection), enough to make the load side,
 * not the server, set the pace. A bind to a given port is one lookup. Each load process has its own address, so
 * only its own connections compete for its ports; a port still taken (EADDRINUSE, EADDRNOTAVAIL) is retried with
 * the next.
 */
let localPort = 1024 + Math.floor(Math.random() * 64_000);
function nextLocalPort(): number {
  localPort = localPort >= 65_535 ? 1024 : localPort + 1;
  return localPort;
}

async function connect(cmd: ConnectCommand): Promise<void> {
  const t0 = performance.now();
  if (cmd.target < live.size) {
    // Shrink: close the extra connections (not counted as dropped).
    closing = true;
    for (const c of [...live].slice(cmd.target)) {
      live.delete(c);
      c.socket.destroy();
    }
    closing = false;
  }
  if (cmd.distinct) {
    const held = new Set([...live].map((c) => c.token));
    freeTokens = cmd.tokens.filter((t) => !held.has(t));
  }
  if (cmd.track) tracks = [];
  const need = Math.max(0, cmd.distinct ? Math.min(cmd.target - live.size, freeTokens.length) : cmd.target - live.size);
  let opened = 0;
  let failed = 0;
  let inflight = 0;
  const errors = new Map<string, number>();
  const pendingConns = new Set<Conn>();
  const maxAttempts = need + Math.ceil(need * 0.1) + 10;
  let attempts = 0;
  /** Attempts given another local port, bounded (an address that cannot be bound at all fails every one). */
  let portRetries = 0;
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(() => {
      for (const c of pendingConns) c.socket.destroy();
      finish();
    }, cmd.timeoutMs);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      resolve();
    };
    const pump = () => {
      if (finished) return;
      while (opened + inflight < need && inflight < cmd.concurrency && attempts < maxAttempts) {
        attempts++;
        inflight++;
        openOne();
      }
      if (inflight === 0 && (opened >= need || attempts >= maxAttempts)) finish();
    };
    const openOne = () => {
      const n = seq++;
      const token = cmd.distinct ? freeTokens.pop() : undefined;
      // `onread`: every socket reads into one shared buffer and its callback, without the readable stream's Buffer and
      // 'data' event per read (a storm's load process takes up to 100,000 deliveries a second).
      const socket = net.connect({
        host: '127.0.0.1',
        port: cmd.port,
        localAddress: cmd.localAddress,
        localPort: cmd.localAddress ? nextLocalPort() : undefined,
        onread: {
          buffer: READ_BUFFER,
          callback: (nread: number) => {
            onData(conn, READ_BUFFER.subarray(0, nread), settle);
            return true; // never pause
          },
        },
      });
      socket.setNoDelay(true);
      const conn: Conn = { socket, mode: cmd.mode, ready: false, pending: null, eioOpened: false, token };
      const release = () => {
        if (conn.token !== undefined) freeTokens.push(conn.token);
        conn.token = undefined;
      };
      pendingConns.add(conn);
      let settled = false;
      const settle = (ok: boolean, why?: string, retry = false) => {
        if (settled) return;
        settled = true;
        pendingConns.delete(conn);
        inflight--;
        if (retry) {
          // Our pick of local port was taken: not a failed connection, just another attempt with the next port.
          attempts--;
          release();
          socket.destroy();
        } else if (ok) {
          opened++;
          live.add(conn);
          if (conn.track) tracks.push(conn.track);
        } else {
          failed++;
          release();
          const key = (why ?? 'unknown').slice(0, 200);
          errors.set(key, (errors.get(key) ?? 0) + 1);
          socket.destroy();
        }
        setImmediate(pump);
      };
      socket.on('connect', () => {
        // Counted only once its stream opens (a refused attempt is a failed connection, not a member missing events).
        if (cmd.track) conn.track = newTrack(now());
        socket.write(requestFor(cmd, n, token));
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (conn.ready) return;
        const portTaken = err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL';
        const retry = portTaken && conn.track === undefined && !socket.bytesWritten && portRetries++ < need;
        settle(false, err.message, retry);
      });
      socket.on('close', () => {
        if (conn.track) conn.track.closed = true;
        if (!conn.ready) return settle(false, 'closed before ready');
        release();
        if (live.delete(conn) && !closing) dropped++;
      });
    };
    pump();
  });
  send({
    ev: 'connected',
    live: live.size,
    opened,
    failed,
    ms: performance.now() - t0,
    errors: [...errors].map(([k, v]) => `${v}x ${k}`),
  });
}

process.on('message', (msg: WorkerCommand) => {
  switch (msg.cmd) {
    case 'connect':
      void connect(msg);
      break;
    case 'window':
      currentRun = msg.run;
      hist.reset();
      count = 0;
      bytes = 0;
      firstAt = 0;
      lastAt = 0;
      send({ ev: 'count', count: 0, live: live.size });
      break;
    case 'count':
      send({ ev: 'count', count, live: live.size });
      break;
    case 'report':
      send({ ev: 'report', live: live.size, dropped, count, bytes, hist: hist.toSparse(), firstAt, lastAt });
      break;
    case 'track-count': {
      let liveN = 0;
      let caughtUp = 0;
      for (const t of tracks) {
        if (t.liveAt > 0) liveN++;
        if (t.last >= msg.atLeast) caughtUp++;
      }
      send({ ev: 'track-count', live: liveN, caughtUp, streams: tracks.length });
      break;
    }
    case 'track-report':
      send({ ev: 'track-report', streams: tracks });
      break;
    case 'close':
      closing = true;
      for (const c of live) c.socket.destroy();
      live.clear();
      send({ ev: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
  }
});

process.on('disconnect', () => process.exit(0)); // the orchestrator is gone: never linger
// With --cpu-prof (BENCH_LOAD_CPU_PROF), a normal exit writes the profile; a SIGTERM's default would not.
if (process.env.BENCH_LOAD_CPU_PROF) process.on('SIGTERM', () => process.exit(0));
send({ ev: 'ready' });
