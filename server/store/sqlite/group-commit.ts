import type Database from 'better-sqlite3';

/** A write waiting for the next group commit, with what it emitted (kept only if its savepoint is released). */
interface Job<E> {
  fn: (emit: (item: E) => void) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome<E> = { ok: true; value: unknown; items: E[] } | { ok: false; error: unknown };

/**
 * Group commit over one better-sqlite3 connection. Writes requested while the process handles one batch of I/O (one
 * event-loop turn) run in ONE transaction, each in its own savepoint, so that under synchronous=FULL many concurrent
 * writers share one fsync.
 *
 * - A write that throws rolls back to its savepoint alone; its caller gets its own error, the others commit.
 * - No caller is answered before the commit; if the commit fails, every write of the batch fails with its error.
 * - What a write emits is published after the commit, in commit order, in the turn after it: the writers' answers go
 *   out first instead of waiting for the fan-out. A write that rolled back publishes nothing.
 *
 * better-sqlite3 is synchronous, so a batch runs to completion before any other JavaScript: commit order is the
 * order in which writes were requested.
 */
export class GroupCommit<E> {
  private queue: Job<E>[] = [];
  private timer: NodeJS.Immediate | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly publish: (items: E[]) => void,
  ) {}

  /** Runs `fn` atomically in the next group commit. Resolves with its result after the commit; rejects with what it
   * threw, having written nothing. `fn` must be synchronous. */
  run<T>(fn: (emit: (item: E) => void) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      // setImmediate runs after the poll phase: every request whose body arrived in this turn has queued its write.
      this.timer ??= setImmediate(() => this.flush());
    });
  }

  /** Commits what is queued now (close() calls it so that nothing asked before closing is left hanging). */
  flush(): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = null;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    if (!this.db.open) {
      for (const job of jobs) job.reject(new Error('the store is closed'));
      return;
    }
    let outcomes: Outcome<E>[];
    try {
      outcomes = this.db.transaction(() =>
        jobs.map((job) => {
          const outcome = this.attempt(job);
          // On some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_NOMEM) SQLite rolls the whole transaction
          // back by itself: the batch is lost, and the writes after this one must not run outside a transaction.
          if (!outcome.ok && !this.db.inTransaction) throw outcome.error;
          return outcome;
        }),
      )();
    } catch (error) {
      // The commit failed (disk full, I/O error, a deferred constraint) or SQLite abandoned the transaction: nothing
      // of the batch is stored.
      for (const job of jobs) job.reject(error);
      return;
    }
    const committed: E[] = [];
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) return job.reject(outcome.error);
      committed.push(...outcome.items);
      job.resolve(outcome.value);
    });
    // Turns run in order, so batches are published in commit order.
    if (committed.length > 0) setImmediate(() => this.publish(committed));
  }

  /** One job in its savepoint (a nested better-sqlite3 transaction). */
  private attempt(job: Job<E>): Outcome<E> {
    const items: E[] = [];
    try {
      const value = this.db.transaction(() => job.fn((item) => items.push(item)))();
      return { ok: true, value, items };
    } catch (error) {
      return { ok: false, error };
    }
  }
}
