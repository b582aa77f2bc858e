/**
 * Exactly-once accounting of SSE streams for the storm scenario. A load process feeds every received chunk of a
 * tracked stream through `feed`, which reads the stream line by line: the first `id:` is the position the stream
 * starts from (Parley writes it alone, right after `retry:`), every later `id:` is a stored event that must be the
 * next seq (a repeat is a duplicate, a jump a gap), `event: reset` is counted, and a `data:` line carrying the
 * current run's marker with a send time at or after the stream's request makes the stream live (caught up and
 * receiving what is posted now). The orchestrator sums the records with `summarise`.
 */
import { MARKER } from './common.js';
import type { Histogram } from './histogram.js';

export interface StreamTrack {
  /** Wall ms the request was written. */
  reqAt: number;
  /** The position frame's id, -1 until it arrived. */
  pos: number;
  /** The last event id received (pos before any). */
  last: number;
  /** Events received in order (each id one above the one before). */
  unique: number;
  dupes: number;
  /** Seqs skipped (an id more than one above the last). */
  gaps: number;
  resets: number;
  /** Wall ms of the first message of the current run posted at or after reqAt; 0 while none. */
  liveAt: number;
  /** Messages of the current run received (replayed ones included). */
  messages: number;
  closed: boolean;
}

export function newTrack(reqAt: number): StreamTrack {
  return { reqAt, pos: -1, last: -1, unique: 0, dupes: 0, gaps: 0, resets: 0, liveAt: 0, messages: 0, closed: false };
}

const MARK = Buffer.from(MARKER);
const RESET = Buffer.from('event: reset');

function startsWith(buf: Buffer, at: number, end: number, what: Buffer): boolean {
  if (end - at < what.length) return false;
  for (let k = 0; k < what.length; k++) if (buf[at + k] !== what[k]) return false;
  return true;
}

function digits(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to && buf[k]! >= 48 && buf[k]! <= 57; k++) n = n * 10 + buf[k]! - 48;
  return n;
}

export interface FeedContext {
  run: number;
  now: number;
  /** Send -> receive latency of live messages (posted at or after the stream's request). */
  hist: Histogram;
}

/**
 * Reads complete lines of `chunk` (after `carry`, the unfinished line of the last chunk) into `t`; returns the new
 * carry and how many messages of the current run it saw.
 */
export function feed(t: StreamTrack, carry: Buffer | null, chunk: Buffer, ctx: FeedContext): [Buffer | null, number] {
  const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
  let seen = 0;
  let i = 0;
  for (;;) {
    const nl = buf.indexOf(10, i);
    if (nl < 0) return [i < buf.length ? Buffer.from(buf.subarray(i)) : null, seen];
    const c = buf[i];
    if (c === 0x69 && buf[i + 1] === 0x64 && buf[i + 2] === 0x3a) {
      // "id: N"
      const id = digits(buf, i + 4, nl);
      if (t.pos < 0) {
        t.pos = id;
        t.last = id;
      } else if (id <= t.last) t.dupes++;
      else {
        t.gaps += id - t.last - 1;
        t.unique++;
        t.last = id;
      }
    } else if (c === 0x65) {
      if (startsWith(buf, i, nl, RESET)) t.resets++;
    } else if (c === 0x64) {
      // "data: {...bench:<run>:<send time>...}"
      const j = buf.indexOf(MARK, i);
      if (j >= 0 && j < nl) {
        let k = j + MARK.length;
        const run = digits(buf, k, nl);
        while (k < nl && buf[k] !== 0x3a) k++;
        const s = ++k;
        while (k < nl && ((buf[k]! >= 48 && buf[k]! <= 57) || buf[k] === 46)) k++;
        if (run === ctx.run) {
          const posted = Number(buf.toString('latin1', s, k));
          seen++;
          t.messages++;
          if (posted >= t.reqAt) {
            if (t.liveAt === 0) t.liveAt = ctx.now;
            ctx.hist.record(ctx.now - posted);
          }
        }
      }
    }
    i = nl + 1;
  }
}

export interface TrackSummary {
  streams: number;
  /** Streams that went live, and the times from the storm's start until they did (ms). */
  live: number;
  liveP50Ms: number;
  liveP99Ms: number;
  /** The last stream to go live (NaN when some never did). */
  allLiveMs: number;
  /** Streams that started at the expected position (the resume point), when one was expected. */
  atExpectedPosition: number;
  /** Events each stream should have had (from its position to the final head) and did not; summed. */
  missing: number;
  /** Streams with anything missing. */
  membersMissing: number;
  duplicates: number;
  membersDuplicated: number;
  resets: number;
  closed: number;
  /** Events received in order, summed over streams. */
  delivered: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN;

/** Sums the streams' records against the room's final head (and the position every stream should start from). */
export function summarise(
  tracks: StreamTrack[],
  startedAt: number,
  finalHead: number,
  expectedPos: number | null,
): TrackSummary {
  const liveMs = tracks
    .filter((t) => t.liveAt > 0)
    .map((t) => t.liveAt - startedAt)
    .sort((a, b) => a - b);
  let missing = 0;
  let membersMissing = 0;
  let duplicates = 0;
  let membersDuplicated = 0;
  let atExpected = 0;
  let delivered = 0;
  for (const t of tracks) {
    // A stream that never wrote its position owes everything after the resume point (or is wholly missing).
    const from = t.pos >= 0 ? t.pos : (expectedPos ?? finalHead);
    const owed = Math.max(0, finalHead - Math.min(from, expectedPos ?? from));
    const lacking = Math.max(0, owed - t.unique);
    missing += lacking;
    if (lacking > 0) membersMissing++;
    duplicates += t.dupes;
    if (t.dupes > 0) membersDuplicated++;
    if (expectedPos !== null && t.pos === expectedPos) atExpected++;
    delivered += t.unique;
  }
  return {
    streams: tracks.length,
    live: liveMs.length,
    liveP50Ms: quantile(liveMs, 0.5),
    liveP99Ms: quantile(liveMs, 0.99),
    allLiveMs: liveMs.length === tracks.length && tracks.length > 0 ? liveMs[liveMs.length - 1]! : NaN,
    atExpectedPosition: atExpected,
    missing,
    membersMissing,
    duplicates,
    membersDuplicated,
    resets: tracks.reduce((a, t) => a + t.resets, 0),
    closed: tracks.filter((t) => t.closed).length,
    delivered,
  };
}
