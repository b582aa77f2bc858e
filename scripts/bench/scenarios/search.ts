/**
 * Search: N messages in R rooms on SQLite, then one-word queries and quoted phrases with `from:` through
 * GET /api/search, one at a time, timed by the client over loopback. The messages are inserted straight into the
 * database file in large transactions (the FTS index is kept by the same triggers as for posted messages), not over
 * HTTP: a million POSTs would take far longer than the measurement.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import type { PublicUser } from '../../../server/store/store.js';
import { expectOk, request } from '../lib/http.js';
import { PASSWORD, startParley } from '../lib/targets.js';

export interface SearchConfig {
  messages: number;
  rooms: number;
  authors: number;
  /** Rooms the searching user is a member of (the rest are other people's). */
  memberOf: number;
  /** Timed queries of each kind (after a few untimed ones). */
  queries: number;
  log: (line: string) => void;
}

export interface LatencyStats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Mean number of results in the first page. */
  meanResults: number;
}

export interface SearchResult {
  messages: number;
  rooms: number;
  memberOf: number;
  vocabulary: number;
  generateS: number;
  dbMiB: number;
  word: LatencyStats;
  phraseFrom: LatencyStats;
  examples: { word: string[]; phraseFrom: string[] };
}

/** A small deterministic PRNG (mulberry32), so every run searches the same data. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = 'ka lo mi ne ru sa ti vo ze pa del mar son ber lin gra fio tek nor wen qui bal dor fen'.split(' ');

/** A vocabulary of distinct made-up words, and a Zipf (s = 1) sampler over it, like word use in real text. */
function vocabulary(size: number, rand: () => number): { words: string[]; pick: () => string } {
  const seen = new Set<string>();
  while (seen.size < size) {
    let w = '';
    const n = 2 + Math.floor(rand() * 3);
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    seen.add(w);
  }
  const words = [...seen];
  const cdf: number[] = [];
  let sum = 0;
  for (let i = 0; i < size; i++) cdf.push((sum += 1 / (i + 1)));
  const pick = () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
  return { words, pick };
}

function stats(ms: number[], results: number[]): LatencyStats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return {
    n: s.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: s[s.length - 1]!,
    meanResults: results.reduce((a, b) => a + b, 0) / results.length,
  };
}

/** Fills the database: authors and rooms through the store, messages straight into the file. */
export async function generate(file: string, cfg: SearchConfig, rand: () => number) {
  const store = new SqliteStore({ file, synchronous: 'NORMAL' });
  const authors: PublicUser[] = [];
  for (let i = 0; i < cfg.authors; i++) {
    const u = await store.createUser({
      username: `author${i}`,
      email: `author${i}@bench.invalid`,
      passwordHash: 'x',
      displayName: `Author ${i}`,
      gender: 'unspecified',
      avatar: null,
    });
    authors.push({ id: u.id, username: u.username, displayName: u.displayName, gender: u.gender, avatar: u.avatar });
  }
  const rooms: string[] = [];
  for (let i = 0; i < cfg.rooms; i++) {
    const { room } = await store.createRoom({ name: `room${i}`, topic: '', kind: 'public', owner: authors[0]! });
    rooms.push(room.id);
  }
  await store.close();

  const vocab = vocabulary(20_000, rand);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insert = db.prepare(
    `INSERT INTO messages (room_id, seq, author_id, text, attachments, created_at) VALUES (?, ?, ?, ?, '[]', ?)`,
  );
  const seqs = new Map(rooms.map((id) => [id, 1])); // seq 1 is the owner joining
  const start = Date.now() - 365 * 86_400_000;
  const step = (365 * 86_400_000) / cfg.messages;
  const batch = 50_000;
  for (let done = 0; done < cfg.messages; done += batch) {
    db.transaction(() => {
      for (let i = done; i < Math.min(cfg.messages, done + batch); i++) {
        const room = rooms[Math.floor(rand() * rooms.length)]!;
        const seq = seqs.get(room)! + 1;
        seqs.set(room, seq);
        const n = 4 + Math.floor(rand() * 20);
        const words: string[] = [];
        for (let w = 0; w < n; w++) words.push(vocab.pick());
        const author = authors[Math.floor(rand() * authors.length)]!;
        insert.run(room, seq, author.id, words.join(' '), new Date(start + i * step).toISOString());
      }
    })();
    if ((done / batch) % 4 === 3) cfg.log(`  search: ${(done + batch).toLocaleString('en-US')} messages inserted`);
  }
  const setSeq = db.prepare('UPDATE rooms SET last_seq = ? WHERE id = ?');
  db.transaction(() => {
    for (const [id, seq] of seqs) setSeq.run(seq, id);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { rooms, authors, vocab };
}

export async function searchScenario(cfg: SearchConfig): Promise<SearchResult> {
  const rand = rng(16);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-search-'));
  const file = path.join(dataDir, 'parley.db');
  try {
    const t0 = performance.now();
    const { rooms, authors, vocab } = await generate(file, cfg, rand);
    const generateS = (performance.now() - t0) / 1000;
    const dbMiB = statSync(file).size / 2 ** 20;
    cfg.log(
      `  search: ${cfg.messages.toLocaleString('en-US')} messages in ${generateS.toFixed(0)} s, ${dbMiB.toFixed(0)} MiB`,
    );

    // Phrases to look for: two adjacent words of a message in one of the searcher's rooms, with its author.
    const mine = rooms.slice(0, cfg.memberOf);
    const db = new Database(file, { readonly: true });
    const sample = db.prepare<[string, number], { text: string; author_id: string }>(
      'SELECT text, author_id FROM messages WHERE room_id = ? AND seq = ?',
    );
    const phrases: string[] = [];
    const lastSeq = db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM rooms WHERE id = ?');
    while (phrases.length < cfg.queries + 10) {
      const room = mine[Math.floor(rand() * mine.length)]!;
      const row = sample.get(room, 2 + Math.floor(rand() * (lastSeq.get(room)!.last_seq - 1)));
      if (!row) continue;
      const words = row.text.split(' ');
      const i = Math.floor(rand() * (words.length - 1));
      const author = authors.find((a) => a.id === row.author_id)!;
      phrases.push(`"${words[i]} ${words[i + 1]}" from:${author.username}`);
    }
    db.close();
    // One-word queries: words drawn uniformly from the vocabulary (common and rare alike), sent as typed (no space
    // after them, so each is a prefix search).
    const singles = Array.from(
      { length: cfg.queries + 10 },
      () => vocab.words[Math.floor(rand() * vocab.words.length)]!,
    );

    const server = await startParley({ env: { DATA_DIR: dataDir } });
    try {
      const port = server.port;
      await expectOk(
        request(port, 'POST', '/api/auth/register', {
          username: 'searcher',
          email: 's@bench.invalid',
          password: PASSWORD,
        }),
        'register',
      );
      const login = await expectOk(
        request(port, 'POST', '/api/auth/login', { login: 'searcher', password: PASSWORD }),
        'login',
      );
      const auth = { authorization: `Bearer ${String(login.accessToken)}` };
      for (const id of mine) await expectOk(request(port, 'POST', `/api/rooms/${id}/join`, undefined, auth), 'join');
      const run = async (queries: string[]) => {
        const ms: number[] = [];
        const counts: number[] = [];
        for (const [i, q] of queries.entries()) {
          const t = performance.now();
          const res = await request(port, 'GET', `/api/search?q=${encodeURIComponent(q)}`, undefined, auth);
          const took = performance.now() - t;
          if (res.status !== 200) throw new Error(`search ${q}: ${res.status} ${JSON.stringify(res.body)}`);
          // The first few warm the caches and are not counted.
          if (i >= 10) {
            ms.push(took);
            counts.push((res.body.results as unknown[]).length);
          }
        }
        return stats(ms, counts);
      };
      const word = await run(singles);
      cfg.log(`  search: one word, p50 ${word.p50.toFixed(1)} ms, p95 ${word.p95.toFixed(1)} ms (${word.n} queries)`);
      const phraseFrom = await run(phrases);
      cfg.log(`  search: phrase + from:, p50 ${phraseFrom.p50.toFixed(1)} ms, p95 ${phraseFrom.p95.toFixed(1)} ms`);
      return {
        messages: cfg.messages,
        rooms: cfg.rooms,
        memberOf: cfg.memberOf,
        vocabulary: vocab.words.length,
        generateS,
        dbMiB,
        word,
        phraseFrom,
        examples: { word: singles.slice(10, 13), phraseFrom: phrases.slice(10, 12) },
      };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
