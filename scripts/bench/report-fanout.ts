/** The fan-out tables: one system per row at its best and its capacity, the ratios, and every step. */
import type { SizeResult, Step } from './scenarios/fanout.js';
import { fx, int, ms, NAMES, pct, table } from './report-format.js';

function stepCells(s: Step | null, why: string): string[] {
  if (!s) return [`none (${why})`, '', '', '', '', '', '', '', '', '', ''];
  return [
    String(s.rate),
    int(s.deliveriesPerSec),
    ms(s.latency.p50),
    ms(s.latency.p99),
    ms(s.latency.max),
    pct(s.serverCpu),
    fx(s.serverUsPerDelivery, 1),
    pct(s.loadCpu),
    pct(s.otherCpu),
    fx(s.peakRssMiB, 0),
    int(s.bytesPerDelivery),
  ];
}

function lowestStep(r: SizeResult): Step | undefined {
  return [...r.steps].sort((a, b) => a.rate - b.rate)[0];
}

export function fanoutRow(r: SizeResult, which: 'best' | 'capacity'): string[] {
  const low = lowestStep(r);
  const why = r.failure ?? (low ? `p99 ${ms(low.latency.p99)} ms even at ${low.rate} msg/s` : 'no steps');
  return [
    NAMES[r.system]!,
    int(r.subscribers),
    ...stepCells(which === 'best' ? r.best : r.capacity, which === 'best' ? why : (r.failure ?? low?.why ?? '')),
  ];
}

export interface Ratio {
  subscribers: number;
  /** Deliveries/s at the highest rate with p99 under the limit (NaN when a system has none). */
  parleyFast: number;
  peerFast: number;
  rawFast: number;
  /** Deliveries/s at the highest rate each kept up with (capacity). */
  parleyCap: number;
  peerCap: number;
  rawCap: number;
  /** The highest rate both Parley and the peer kept up with, and their p99 there. */
  commonRate: number | null;
  parleyP99: number;
  peerP99: number;
  /** Server CPU microseconds per delivery at capacity. */
  parleyUs: number;
  peerUs: number;
  rawUs: number;
}

export function ratios(fan: SizeResult[]): Ratio[] {
  const sizes = [...new Set(fan.map((r) => r.subscribers))];
  return sizes.map((S) => {
    const get = (sys: string) => fan.find((r) => r.system === sys && r.subscribers === S);
    const p = get('parley');
    const q = get('socket.io');
    const raw = get('raw');
    const kept = (r?: SizeResult) => new Set((r?.steps ?? []).filter((s) => s.keptUp).map((s) => s.rate));
    const pr = kept(p);
    const common = [...kept(q)].filter((x) => pr.has(x)).sort((a, b) => b - a)[0] ?? null;
    const at = (r: SizeResult | undefined) =>
      common === null ? undefined : r?.steps.find((s) => s.keptUp && s.rate === common);
    return {
      subscribers: S,
      parleyFast: p?.best?.deliveriesPerSec ?? NaN,
      peerFast: q?.best?.deliveriesPerSec ?? NaN,
      rawFast: raw?.best?.deliveriesPerSec ?? NaN,
      parleyCap: p?.capacity?.deliveriesPerSec ?? NaN,
      peerCap: q?.capacity?.deliveriesPerSec ?? NaN,
      rawCap: raw?.capacity?.deliveriesPerSec ?? NaN,
      commonRate: common,
      parleyP99: at(p)?.latency.p99 ?? NaN,
      peerP99: at(q)?.latency.p99 ?? NaN,
      parleyUs: p?.capacity?.serverUsPerDelivery ?? NaN,
      peerUs: q?.capacity?.serverUsPerDelivery ?? NaN,
      rawUs: raw?.capacity?.serverUsPerDelivery ?? NaN,
    };
  });
}

export const FANOUT_HEAD = [
  'system',
  'subscribers',
  'msg/s',
  'deliveries/s',
  'p50 ms',
  'p99 ms',
  'max ms',
  'server CPU',
  'server µs/delivery',
  'load CPU',
  'other CPU',
  'server peak RSS MiB',
  'bytes/delivery',
];

const ratioCell = (a: number, b: number, d = 2) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `**${fx(a / b, d)}**${' '}(${int(a)} / ${int(b)})` : 'n/a';

export function ratioTable(rs: Ratio[]): string {
  return table(
    [
      'subscribers',
      'Parley / Socket.IO deliveries/s, p99 < 100 ms',
      'Parley / Socket.IO deliveries/s, capacity',
      'p99 Parley / Socket.IO at the same rate',
      'Parley / raw ceiling, p99 < 100 ms',
      'Parley / raw ceiling, capacity',
      'server CPU µs per delivery at capacity: Parley, Socket.IO, raw',
    ],
    rs.map((r) => [
      int(r.subscribers),
      ratioCell(r.parleyFast, r.peerFast),
      ratioCell(r.parleyCap, r.peerCap),
      r.commonRate === null
        ? 'n/a (no rate both kept up with)'
        : `**${fx(r.parleyP99 / r.peerP99)}** (${ms(r.parleyP99)} / ${ms(r.peerP99)} ms at ${r.commonRate} msg/s)`,
      ratioCell(r.parleyFast, r.rawFast),
      ratioCell(r.parleyCap, r.rawCap),
      `${fx(r.parleyUs, 1)}, ${fx(r.peerUs, 1)}, ${fx(r.rawUs, 1)}`,
    ]),
  );
}

/** What each system is, for the list under a fan-out section's lead. */
export const SYSTEM_NOTES = {
  parley:
    '- **Parley**: `GET /api/rooms/:id/events` streams (SSE over HTTP/1.1, frames written straight to the socket), ' +
    'access-token auth, default configuration (SQLite, synchronous=FULL), one Node process; presence and delivery ' +
    'receipts on, as every room has them.',
  peer:
    '- **Socket.IO peer** (`scripts/bench/servers/socketio-peer.ts`): the minimal Socket.IO 4 server one would write ' +
    "instead: websocket transport, every client joins one room, `io.to(room).emit()` of an event shaped like Parley's " +
    'RoomEvent. No auth, no storage, **no presence and no receipts** (Parley sends both to these streams). Its clients ' +
    'speak the engine.io/websocket protocol at the wire level (as cheap as the SSE clients), each a distinct connection.',
  raw:
    '- **raw-socket ceiling** (`scripts/bench/servers/raw-limit.ts`): a bare `for (const s of sockets) s.write(frame)` ' +
    'over plain TCP sockets, writing the same SSE frame bytes; no HTTP, no auth, no storage.',
};

/**
 * A fan-out section of BENCHMARKS.md. `lead` replaces the description of the subscribers ("One room, S real subscriber
 * connections"); `systems` describes what was measured; the ratio table only when more than Parley ran.
 */
export function fanoutSection(
  fan: SizeResult[],
  cfg: { stepMs: number; startDeliveries: number },
  title: string,
  lead: string,
  systems: string[],
): string[] {
  const out: string[] = [];
  if (title) out.push(`## ${title}`, '');
  out.push(
    (lead ? lead + ' ' : '') +
      'Messages are POSTed over HTTP at a fixed rate (open loop). Latency is from the moment ' +
      'the poster sends the POST to the moment each subscriber process reads the frame (the text carries the send time), so it ' +
      'includes authentication and the SQLite commit for Parley. Each step lasts ' +
      `${cfg.stepMs / 1000} s. The rate starts at ` +
      `${int(cfg.startDeliveries)} deliveries/s and doubles while the server keeps up ` +
      '(every frame delivered, no subscriber dropped, the poster holds the rate, p99 under 1 s); then one step at the geometric ' +
      'middle of each bracket, so rates are exact to a factor of about 1.4. Two figures per system and size: the highest rate ' +
      'with **p99 under 100 ms** (the target), and its **capacity**, the highest rate it kept up with. deliveries/s = frames ' +
      'received by all subscribers / the longer of the step and first post to last delivery. A step that fails while other ' +
      'processes take over a quarter of a CPU is repeated once (at most 12 repeats per run).',
    '',
  );
  out.push(...systems, '');
  out.push('### Highest rate with p99 under 100 ms', '');
  out.push(
    table(
      FANOUT_HEAD,
      fan.map((f) => fanoutRow(f, 'best')),
    ),
    '',
  );
  out.push('### Capacity: highest rate kept up with (everything delivered, p99 under 1 s)', '');
  out.push(
    table(
      FANOUT_HEAD,
      fan.map((f) => fanoutRow(f, 'capacity')),
    ),
    '',
  );
  const several = new Set(fan.map((f) => f.system)).size > 1;
  if (several) out.push('### Ratios', '', ratioTable(ratios(fan)), '');
  if (several)
    out.push(
      'Deliveries/s ratios compare each system at its own highest passing rate (above 1: Parley delivers more). The p99 ratio ' +
        "compares both at the highest rate both kept up with (below 1: Parley's p99 is lower). The raw ceiling writes the same " +
        "bytes per delivery with nothing else to do, so the Parley / raw columns are the share of the machine's fan-out capacity " +
        'Parley achieves. Server CPU per delivery is the least noisy figure on a shared machine: it does not depend on ' +
        'scheduling delays, only on the work each system does per frame.',
      '',
    );
  out.push('<details><summary>Every step</summary>', '');
  out.push(
    table(
      [
        'system',
        'S',
        'msg/s',
        'result',
        'deliveries/s',
        'p50',
        'p99',
        'max',
        'POST p50 ms',
        'server CPU',
        'µs/delivery',
        'load CPU',
        'other CPU',
      ],
      fan.flatMap((f) =>
        f.steps.map((s) => [
          NAMES[f.system]!,
          int(f.subscribers),
          String(s.rate),
          (s.pass ? 'pass' : s.keptUp ? `kept up; ${s.why}` : `FAIL: ${s.why}`) +
            (s.retries ? ` (retried ${s.retries}x: noise)` : ''),
          int(s.deliveriesPerSec),
          ms(s.latency.p50),
          ms(s.latency.p99),
          ms(s.latency.max),
          ms(s.post.response.p50),
          pct(s.serverCpu),
          fx(s.serverUsPerDelivery, 1),
          pct(s.loadCpu),
          pct(s.otherCpu),
        ]),
      ),
    ),
    '',
    '</details>',
    '',
  );
  return out;
}

/** Console lines of a fan-out scenario. */
export function fanoutSummary(fan: SizeResult[], label: string): string[] {
  const lines: string[] = [];
  lines.push(`${label} (highest rate with p99 < 100 ms):`);
  for (const f of fan) {
    const one = (s: Step | null) =>
      s
        ? `${String(s.rate).padStart(5)} msg/s ${int(s.deliveriesPerSec).padStart(8)} deliveries/s p50 ${ms(s.latency.p50)} p99 ${ms(s.latency.p99)} ms cpu ${pct(s.serverCpu)}`
        : '   none';
    lines.push(`  ${NAMES[f.system]!.padEnd(19)} S=${String(f.subscribers).padStart(6)}  p99<100ms: ${one(f.best)}`);
    lines.push(
      `  ${''.padEnd(19)} ${''.padStart(8)}  capacity:  ${one(f.capacity)}  rss ${fx(f.capacity?.peakRssMiB ?? NaN, 0)} MiB`,
    );
  }
  const rt = (a: number, b: number) => (Number.isFinite(a / b) ? fx(a / b) : 'n/a');
  for (const q of new Set(fan.map((f) => f.system)).size > 1 ? ratios(fan) : []) {
    lines.push(
      `  ratios S=${q.subscribers}: Parley/Socket.IO deliveries ${rt(q.parleyFast, q.peerFast)} (p99<100ms), ${rt(q.parleyCap, q.peerCap)} (capacity); ` +
        `p99 Parley/Socket.IO ${rt(q.parleyP99, q.peerP99)} at ${q.commonRate ?? 'n/a'} msg/s; Parley/raw ${rt(q.parleyFast, q.rawFast)} (p99<100ms), ${rt(q.parleyCap, q.rawCap)} (capacity)`,
    );
  }
  return lines;
}
