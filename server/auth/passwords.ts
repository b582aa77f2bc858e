import bcrypt from 'bcrypt';
import { Worker } from 'node:worker_threads';

export const MIN_PASSWORD_LENGTH = 10;
/** zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline slow-hash scenario". */
const MIN_SCORE = 3;
/**
 * zxcvbn's cost grows with length (crafted 72-character passwords take most of a second), so it scores the first
 * 40 characters: that many are plenty to tell a strong password, and a weak start stays weak.
 */
export const SCORED_CHARS = 40;
/**
 * Checks waiting for the worker beyond this are refused (StrengthBusy) instead of queueing without bound. A check
 * of 40 characters takes milliseconds, so a few hundred waiting is well under a second; 16 refused an ordinary
 * burst of twenty sign-ups arriving together.
 */
const MAX_PENDING = 256;
/**
 * A check unanswered this long means the worker is stuck: it is replaced. Generous, because the first check starts
 * the worker and waits for it to load its dictionaries (seconds on a busy machine).
 */
const CHECK_TIMEOUT_MS = 60_000;

/** Too many strength checks are already waiting; the caller should try again shortly. */
export class StrengthBusy extends Error {
  constructor() {
    super('too many password checks in progress');
    this.name = 'StrengthBusy';
  }
}

interface Verdict {
  score: number;
  warning: string | null;
  suggestions: string[];
}

interface Pending {
  resolve(v: Verdict): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** One worker thread runs zxcvbn, so a slow check never blocks the event loop. */
class StrengthWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  check(password: string, userInputs: string[]): Promise<Verdict> {
    if (this.pending.size >= MAX_PENDING) return Promise.reject(new StrengthBusy());
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<Verdict>((resolve, reject) => {
      const timer = setTimeout(() => void worker.terminate(), CHECK_TIMEOUT_MS).unref();
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, password, userInputs });
    });
  }

  get running(): boolean {
    return this.worker !== null;
  }

  start(): Worker {
    if (this.worker) return this.worker;
    // Plain JavaScript: it needs none of the loaders the main thread runs with (tsx, a test runner's hooks).
    const worker = new Worker(new URL('./strength-worker.js', import.meta.url), { execArgv: [] });
    worker.on('message', (m: Verdict & { id: number; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error) p.reject(new Error(`password strength check failed: ${m.error}`));
      else p.resolve(m);
    });
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`password strength worker ${why}`));
      }
      this.pending.clear();
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited (${code})`));
    // The worker never keeps the process alive; open requests (which await it) do. After the listeners: adding a
    // 'message' listener refs the worker's port again.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

const strength = new StrengthWorker();

/**
 * Whether the worker runs. It starts with the first check, not with the server: loading its dictionaries takes half a
 * second of CPU, and compacting their heap (a 50-59 ms mark-compact some seconds later) on a one-core server landed in
 * the middle of a restart's reconnect storm. The first sign-up after a start waits that half second instead.
 */
export function strengthWorkerRunning(): boolean {
  return strength.running;
}

/** Why a password is too weak, or null when strong enough. `userInputs` (username, email...) count as guessable. */
export async function passwordWeakness(password: string, userInputs: string[]): Promise<string | null> {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  const result = await strength.check(chars.slice(0, SCORED_CHARS).join(''), userInputs.filter(Boolean));
  if (result.score >= MIN_SCORE) return null;
  const reasons = [result.warning, ...result.suggestions].filter((s): s is string => Boolean(s));
  return `is too weak${reasons.length ? ': ' + reasons.join(' ') : ''}`;
}

export function hashPassword(password: string, rounds: number): Promise<string> {
  return bcrypt.hash(password, rounds);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/** A fixed hash to compare against when the user does not exist, so both failures cost the same time. */
let dummyHash: string | undefined;
export async function burnPasswordCheck(password: string, rounds: number): Promise<void> {
  dummyHash ??= await bcrypt.hash('parley-dummy-password', rounds);
  await bcrypt.compare(password, dummyHash);
}
