/** The issue 13 sections of BENCHMARKS.md: fan-out to distinct members and the connect / reconnect storms. */
import type { BenchResults } from './report.js';
import { fanoutSection, fanoutSummary, SYSTEM_NOTES } from './report-fanout.js';
import { fx, int, ms, NAMES, pct, table } from './report-format.js';
import type { SizeResult, Step } from './scenarios/fanout.js';
import type { StormResult } from './scenarios/storm.js';

const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? 'yes' : '**no**');

function parleyAt(fan: SizeResult[], S: number, system = 'parley'): SizeResult | undefined {
  return fan.find((f) => f.system === system && f.subscribers === S);
}

/** The lowest step at or above `rate` that kept up with p99 at most `p99`; else the step nearest that rate. */
function atRate(r: SizeResult | undefined, rate: number, p99: number): { step: Step | null; met: boolean | null } {
  if (!r) return { step: null, met: null };
  if (r.failure) return { step: null, met: false };
  const ok = r.steps.filter((s) => s.rate >= rate && s.keptUp && s.latency.p99 <= p99).sort((a, b) => a.rate - b.rate);
  if (ok.length) return { step: ok[0]!, met: true };
  const near = [...r.steps].sort((a, b) => Math.abs(a.rate - rate) - Math.abs(b.rate - rate))[0] ?? null;
  return { step: near, met: false };
}

const stepFigure = (s: Step | null, why?: string) =>
  s
    ? `p99 ${ms(s.latency.p99)} ms at ${s.rate} msg/s (${int(s.deliveriesPerSec)} deliveries/s)` +
      (s.keptUp ? '' : `, did not keep up: ${s.why.replace(/;? ?p99 [\d.]+ ms/, '') || 'p99 over 1 s'}`)
    : (why ?? 'no step');

function fanoutTargets(fan: SizeResult[]): string {
  const rows: string[][] = [];
  const one = parleyAt(fan, 1000);
  const a = atRate(one, 50, 100);
  rows.push(['1,000 members: p99 ≤ 100 ms at 50,000 deliveries/s', stepFigure(a.step, one?.failure), verdict(a.met)]);
  const ten = parleyAt(fan, 10_000);
  const b = atRate(ten, 2, 250);
  rows.push([
    '10,000 members: all connected, p99 ≤ 250 ms at 20,000 deliveries/s',
    ten?.failure ? ten.failure : stepFigure(b.step),
    verdict(b.met),
  ]);
  for (const S of [...new Set(fan.map((f) => f.subscribers))]) {
    const p = parleyAt(fan, S)?.capacity?.serverUsPerDelivery ?? NaN;
    const raw = parleyAt(fan, S, 'raw')?.capacity?.serverUsPerDelivery ?? NaN;
    const ratio = p / raw;
    rows.push([
      `${int(S)} members: server CPU per delivery at capacity ≤ 0.8 × the raw loop's`,
      Number.isFinite(ratio) ? `${fx(p, 1)} / ${fx(raw, 1)} µs = **${fx(ratio)}**` : 'n/a',
      verdict(Number.isFinite(ratio) ? ratio <= 0.8 : null),
    ]);
  }
  return table(['target (issue 13)', 'measured (Parley)', 'met'], rows);
}

function connectingTable(fan: SizeResult[]): string {
  return table(
    ['system', 'members', 'connections opened in', 'all live (probe received) after', 'failed attempts'],
    fan.map((f) => [
      NAMES[f.system]!,
      int(f.subscribers),
      `${fx(f.connectMs / 1000, 1)} s`,
      f.liveMs !== undefined ? `${fx(f.liveMs / 1000, 1)} s` : (f.failure ?? 'n/a'),
      int(f.connectFailed),
    ]),
  );
}

export function renderMembers(r: BenchResults): string[] {
  const fan = r.members ?? [];
  const cfg = (r.config as { members: { stepMs: number; startDeliveries: number; workers: number } }).members;
  const seed = r.seed;
  const lead =
    'One public room of S distinct members, each with **one stream** opened with its own access token (its own ' +
    'sign-in and session), the poster (the room owner) not among them. ' +
    (seed
      ? `The members were registered, signed in and joined through the server's own API once per run ` +
        `(${int(seed.members)} members, rooms of ${seed.rooms.map(int).join(', ')}, in ${fx(seed.seconds, 0)} s; ` +
        'BCRYPT_ROUNDS=4, and the per-IP limits raised with REGISTER_MAX_PER_IP and LOGIN_MAX_FAILURES_PER_IP, as the ' +
        'set-up comes from one address); every server starts on a copy of that data directory. '
      : '') +
    `The streams are opened 32 at a time by ${cfg.workers} load processes, each from its own 127.0.0.x address; all ` +
    'are open and have received a probe message before the first step (the table after the targets says how long ' +
    'that took).';
  const out: string[] = [];
  out.push('## 1. Fan-out to distinct members (issue 13)', '');
  out.push(lead, '');
  out.push(fanoutTargets(fan), '');
  out.push('Connecting, before the first step:', '', connectingTable(fan), '');
  out.push(...fanoutSection(fan, cfg, '', '', [SYSTEM_NOTES.parley, SYSTEM_NOTES.peer, SYSTEM_NOTES.raw]));
  return out;
}

/** The distinct-member fan-out again, on the stream the web client opens, by members in other rooms too. */
export function renderWeb(r: BenchResults): string[] {
  const fan = r.web ?? [];
  const cfg = (r.config as { members: { stepMs: number; startDeliveries: number } }).members;
  const lead =
    'As section 1, with the stream the web client opens: each member follows `GET /api/events` (all of their rooms ' +
    'in one stream) and is in 10 of 40 other, quiet rooms besides the measured one, picked per member, so most ' +
    "members' sets of rooms differ. Every event's id names the stream's position in each of its 11 rooms: a stored " +
    'base and the rooms that moved since (about 20 bytes), where servers before it sent every room (about 250). ' +
    'Seeded through the API like section 1, separately.';
  return [
    '## 2b. Fan-out to web members (`/api/events`)',
    '',
    lead,
    '',
    ...fanoutSection(fan, cfg, '', '', [SYSTEM_NOTES.parley]),
  ];
}

function stormRow(s: StormResult): string[] {
  const t = s.tracks;
  const all = Number.isFinite(t.allLiveMs)
    ? `**${fx(t.allLiveMs / 1000, 2)} s**`
    : `**not all**: ${int(t.live)} of ${int(s.members)} in ${fx(s.stormMs / 1000, 1)} s`;
  return [
    s.variant === 'connect' ? 'connect' : `reconnect, ${s.missedBefore} behind`,
    int(s.members),
    `${int(s.connected)}${s.connectFailed ? ` (${int(s.connectFailed)} failed attempts)` : ''}`,
    all,
    `${fx(t.liveP50Ms / 1000, 2)} / ${fx(t.liveP99Ms / 1000, 2)} s`,
    `${ms(s.post.p50)} / **${ms(s.post.p99)}** / ${ms(s.post.max)} (${s.post.ok} of ${s.post.sent})`,
    `**${int(t.missing)}** (${int(t.membersMissing)})`,
    `${int(t.duplicates)} (${int(t.membersDuplicated)})`,
    int(t.resets),
    `**${ms(s.loop.maxMs)}**`,
    int(s.loop.over50),
    ms(s.delivery.p99),
    pct(s.serverCpu),
    s.loadCpu === undefined ? 'n/a' : pct(s.loadCpu),
    s.listenOverflows === undefined || s.listenOverflows === null ? 'n/a' : int(s.listenOverflows),
  ];
}

export function renderStorm(r: BenchResults): string[] {
  const storms = r.storm ?? [];
  const cfg = (r.config as { storm: { rate: number; behind: number; maxMs: number; workers: number } }).storm;
  const out: string[] = [];
  out.push('## 2. Connect and reconnect storms of distinct members (issue 13)', '');
  out.push(
    `The rooms of the distinct-member fan-out, on a copy of the same seeded data. One poster posts ${cfg.rate} msg/s ` +
      'throughout; half a second after it starts, all N members open their streams at once (every connection attempt ' +
      `started together by ${cfg.workers} load processes). **connect**: a fresh server, no resume position. ` +
      `**reconnect**: all N connected and live first, then the server restarts (a graceful stop, which ends every ` +
      `stream, and a start on the same data), ${cfg.behind} messages are posted while nobody is connected, and all N ` +
      'reconnect with `Last-Event-ID` at the position they had.',
    '',
    'A member is **live** once it has received a message posted after its own request was sent (so, reconnecting, ' +
      'after its whole replay). Every stream is read line by line: its first `id:` is its starting position and ' +
      'every later one must be the next seq; **missing** counts, over all members, the events from their position (the ' +
      'resume point when reconnecting) to the room head after the last post that did not arrive; duplicates are ids ' +
      'received twice. POST latency covers the posts sent from the storm start to the last member going live. The ' +
      "server's **longest event-loop stall** comes from a preload (`scripts/bench/lib/loop-monitor.ts`, " +
      '`perf_hooks.monitorEventLoopDelay` at 2 ms resolution, no server code changed): a turn that blocks for T ms ' +
      `shows as T to T + 2 ms. The storm gives up after ${fx(cfg.maxMs / 1000, 0)} s. **Listen queue overflows** ` +
      "are the kernel's count (TcpExt ListenOverflows, whole machine) of connections dropped during the storm because " +
      "the server's accept queue was full (Parley's LISTEN_BACKLOG, 4096, which the kernel caps at net.core.somaxconn; Node's default is 511): each such client waits for TCP to " +
      'retry (1 s, then 2, 4, 8 s ...), which can set the time until all are live even while the server has CPU to ' +
      'spare (server CPU column); load CPU near 100% would mean the clients, not the server, set the pace.',
    '',
  );
  const ten = storms.filter((s) => s.members === 10_000);
  if (ten.length) {
    const rows = ten.map((s) => {
      const live = Number.isFinite(s.tracks.allLiveMs) && s.tracks.allLiveMs <= 10_000;
      return [
        `${s.variant}: 10,000 live within 10 s, POST p99 ≤ 500 ms, nothing missing, no turn over 50 ms`,
        `${Number.isFinite(s.tracks.allLiveMs) ? fx(s.tracks.allLiveMs / 1000, 2) + ' s' : 'not all live'}, ` +
          `POST p99 ${ms(s.post.p99)} ms, ${int(s.tracks.missing)} missing, longest stall ${ms(s.loop.maxMs)} ms`,
        verdict(live && s.post.p99 <= 500 && s.tracks.missing === 0 && s.loop.maxMs <= 50 + s.loop.resolutionMs),
      ];
    });
    out.push(table(['target (issue 13)', 'measured', 'met'], rows), '');
  }
  out.push(
    table(
      [
        'storm',
        'members',
        'connected',
        'all live after',
        'live p50 / p99',
        'POST p50 / p99 / max ms',
        'missing (members)',
        'duplicates (members)',
        'resets',
        'longest loop stall ms',
        '200 ms intervals with a stall > 50 ms',
        'delivery p99 ms (live)',
        'server CPU',
        'load CPU',
        'listen queue overflows',
      ],
      storms.map(stormRow),
    ),
    '',
  );
  return out;
}

/** Console lines: the distinct-member fan-out and the storms. */
export function membersSummary(r: BenchResults): string[] {
  const lines: string[] = [];
  if (r.seed) lines.push(`seed: ${int(r.seed.members)} distinct members in ${fx(r.seed.seconds, 1)} s`);
  if (r.members?.length) {
    lines.push(...fanoutSummary(r.members, 'fan-out to distinct members'));
    for (const f of r.members)
      lines.push(
        `  ${NAMES[f.system]!} S=${f.subscribers}: connected in ${fx(f.connectMs / 1000, 1)} s, ` +
          (f.failure ?? `all live after ${fx((f.liveMs ?? NaN) / 1000, 1)} s`),
      );
  }
  for (const s of r.storm ?? [])
    lines.push(
      `storm ${s.variant} S=${s.members}: ${stormRow(s)[3]!.replace(/\*/g, '')} all live, POST p99 ${ms(s.post.p99)} ms, ` +
        `missing ${s.tracks.missing}, duplicates ${s.tracks.duplicates}, longest loop stall ${ms(s.loop.maxMs)} ms`,
    );
  return lines;
}
