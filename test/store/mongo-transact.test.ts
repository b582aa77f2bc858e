import t, { type Test } from 'tap';
import { mongo, type ClientSession } from 'mongoose';
import { StoreError, storeErrors } from '../../server/store/errors.js';
import {
  appender,
  backoffMs,
  retryTransaction,
  sessionAttempts,
  type AppendModels,
  type RetryClock,
  type RetryPolicy,
} from '../../server/store/mongo/transact.js';

/**
 * The MongoDB transaction engine without a server (none can run here; the contract suite runs it against a real
 * replica set when MONGODB_URI is set). The retry loop runs on a real driver ClientSession of a client that never
 * connects: a transaction that sent nothing starts, aborts and commits locally in the driver's own state machine.
 * Errors are the driver's own classes with the labels a server would attach.
 */

const writeConflict = () =>
  new mongo.MongoServerError({
    ok: 0,
    code: 112,
    codeName: 'WriteConflict',
    errmsg: 'WriteConflict error: this operation conflicted with another operation',
    errorLabels: ['TransientTransactionError'],
  });

const unknownCommit = () =>
  new mongo.MongoServerError({
    ok: 0,
    code: 91,
    codeName: 'ShutdownInProgress',
    errmsg: 'the primary is shutting down',
    errorLabels: ['UnknownTransactionCommitResult'],
  });

/** A clock whose sleeps only move its time forward, so the test runs instantly and sees every pause. */
function fakeClock(random = () => 0.999): RetryClock & { pauses: number[]; time: number } {
  const clock = {
    time: 0,
    pauses: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.pauses.push(ms);
      clock.time += ms;
    },
    random,
  };
  return clock;
}

const policy: RetryPolicy = { budgetMs: 15_000, baseDelayMs: 5, maxDelayMs: 100 };

async function withSession(t: Test, fn: (session: ClientSession) => Promise<void>): Promise<void> {
  // Never connects: nothing here sends a command.
  const client = new mongo.MongoClient('mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=100');
  const session = client.startSession();
  t.teardown(async () => {
    await session.endSession().catch(() => {});
    await client.close();
  });
  await fn(session);
}

t.test('a transient error retries the whole callback, which recomputes from what it reads', (t) =>
  withSession(t, async (session) => {
    let counter = 10; // what the body "reads"; another writer moves it between attempts
    const seen: number[] = [];
    const clock = fakeClock();
    const result = await retryTransaction(
      sessionAttempts(session, () => false),
      async (s) => {
        t.equal(s, session, 'the body runs on the session');
        t.ok(s.inTransaction(), 'inside a transaction');
        const read = counter;
        seen.push(read);
        if (seen.length === 1) {
          counter = 20; // the conflicting writer committed
          throw writeConflict();
        }
        return read + 1;
      },
      policy,
      clock,
    );
    t.equal(result, 21, 'the result comes from the attempt that committed, computed from its own read');
    t.same(seen, [10, 20], 'the body ran twice, reading afresh each time');
    t.equal(clock.pauses.length, 1, 'one pause before the retry');
    t.notOk(session.inTransaction(), 'the transaction is over');
  }),
);

t.test('a StoreError aborts the attempt, is not retried, and is rethrown as it was', (t) =>
  withSession(t, async (session) => {
    let runs = 0;
    const thrown = storeErrors.roomNotFound();
    const clock = fakeClock();
    const failing = retryTransaction(
      sessionAttempts(session, () => false),
      async () => {
        runs++;
        throw thrown;
      },
      policy,
      clock,
    );
    await t.rejects(failing, thrown);
    const err = await failing.catch((e: unknown) => e);
    t.equal(err, thrown, 'the same error object');
    t.ok(err instanceof StoreError);
    t.equal(runs, 1, 'run once');
    t.same(clock.pauses, [], 'no pause');
    t.notOk(session.inTransaction(), 'aborted');
    const state = (session.transaction as unknown as { state: string }).state;
    t.equal(state, 'TRANSACTION_ABORTED', 'by abortTransaction');
  }),
);

t.test('other driver errors (a duplicate key) are not retried either', (t) =>
  withSession(t, async (session) => {
    let runs = 0;
    const dup = new mongo.MongoServerError({ ok: 0, code: 11000, errmsg: 'E11000 duplicate key error' });
    await t.rejects(
      retryTransaction(
        sessionAttempts(session, () => false),
        async () => {
          runs++;
          throw dup;
        },
        policy,
        fakeClock(),
      ),
      dup,
    );
    t.equal(runs, 1);
  }),
);

t.test('an unknown commit result commits again without re-running the body', (t) =>
  withSession(t, async (session) => {
    let runs = 0;
    let commits = 0;
    const commit = session.commitTransaction.bind(session);
    // The real commit runs (it ends the transaction, as a failed commit does too), then the first one "fails".
    session.commitTransaction = async () => {
      commits++;
      await commit();
      if (commits === 1) throw unknownCommit();
    };
    const result = await retryTransaction(
      sessionAttempts(session, () => false),
      async () => {
        runs++;
        return 'done';
      },
      policy,
      fakeClock(),
    );
    t.equal(result, 'done');
    t.equal(runs, 1, 'the body ran once');
    t.equal(commits, 2, 'the commit was sent again');
  }),
);

t.test('a transient error at commit runs the whole body again', (t) =>
  withSession(t, async (session) => {
    let runs = 0;
    let commits = 0;
    const commit = session.commitTransaction.bind(session);
    session.commitTransaction = async () => {
      commits++;
      await commit();
      if (commits === 1) throw writeConflict();
    };
    await retryTransaction(
      sessionAttempts(session, () => false),
      async () => void runs++,
      policy,
      fakeClock(),
    );
    t.equal(runs, 2, 'the body ran again');
    t.equal(commits, 2);
  }),
);

t.test('an unknown commit result is not retried past the deadline', (t) =>
  withSession(t, async (session) => {
    const commit = session.commitTransaction.bind(session);
    session.commitTransaction = async () => {
      await commit();
      throw unknownCommit();
    };
    const failing = retryTransaction(
      sessionAttempts(session, () => true),
      async () => 'x',
      policy,
      fakeClock(),
    );
    const err = await failing.catch((e: unknown) => e);
    t.equal((err as mongo.MongoServerError).codeName, 'ShutdownInProgress', 'the commit error is rethrown');
  }),
);

t.test('the backoff is bounded: each pause is capped and no retry starts after the budget', async (t) => {
  const clock = fakeClock(() => 0.999);
  let attempts = 0;
  const conflict = writeConflict();
  const always = async <T>(): Promise<T> => {
    attempts++;
    clock.time += 1; // each attempt takes a moment
    throw conflict;
  };
  await t.rejects(
    retryTransaction(always, async () => 0, policy, clock),
    conflict,
    'gives up with the last error',
  );
  t.ok(
    clock.pauses.every((p) => p >= 0 && p <= policy.maxDelayMs),
    'every pause within [0, maxDelayMs]',
  );
  t.same(
    clock.pauses.slice(0, 5).map((p) => Math.round(p)),
    [10, 20, 40, 80, 100],
    'pauses double from the base and stop growing at the cap',
  );
  t.ok(clock.time <= policy.budgetMs, `the whole loop stays within the budget (${clock.time} ms)`);
  t.ok(clock.time > policy.budgetMs - policy.maxDelayMs - 2, 'and uses it before giving up');
  t.equal(attempts, clock.pauses.length + 1, 'one more attempt than pauses');

  const none = fakeClock();
  await t.rejects(
    retryTransaction(always, async () => 0, { ...policy, budgetMs: 0 }, none),
    conflict,
  );
  t.same(none.pauses, [], 'a zero budget: no retry at all');

  t.equal(
    backoffMs(50, policy, () => 0.999),
    0.999 * policy.maxDelayMs,
    'far attempts stay at the cap',
  );
  t.equal(
    backoffMs(1, policy, () => 0),
    0,
    'jitter reaches down to zero',
  );
});

/**
 * The append protocol against stand-ins for the two models it touches (there is no server here). They record what
 * append asks for and answer as MongoDB would: findOneAndUpdate with new: true returns the incremented counter, or
 * null when no live room matches the filter.
 */
type Filter = { _id: string; deletedAt: Date | null };
type Update = { $inc: { lastSeq: number } };
type Options = { session?: unknown; new?: boolean };

function fakeModels(rooms: Map<string, { lastSeq: number; deletedAt: Date | null }>) {
  const calls: { filter: Filter; update: Update; options: Options }[] = [];
  const created: { docs: Array<Record<string, unknown>>; options: Options }[] = [];
  const models = {
    rooms: {
      findOneAndUpdate(filter: Filter, update: Update, options: Options) {
        calls.push({ filter, update, options });
        return {
          lean: () => ({
            exec: async () => {
              const room = rooms.get(filter._id);
              if (!room || room.deletedAt !== filter.deletedAt) return null;
              room.lastSeq += update.$inc.lastSeq;
              return { lastSeq: room.lastSeq };
            },
          }),
        };
      },
    },
    events: {
      async create(docs: Array<Record<string, unknown>>, options: Options) {
        created.push({ docs, options });
        return docs;
      },
    },
  };
  return { models: models as unknown as AppendModels, calls, created };
}

t.test('append: seq comes from the room counter, the event is written in the session', async (t) => {
  const rooms = new Map<string, { lastSeq: number; deletedAt: Date | null }>([['r1', { lastSeq: 4, deletedAt: null }]]);
  const { models, calls, created } = fakeModels(rooms);
  const session = { id: 'the-session' } as unknown as ClientSession;
  const append = appender(models, session);
  const actor = { id: 'u1', username: 'ann', displayName: 'Ann', gender: 'unspecified' as const, avatar: null };

  const first = await append('r1', 'message.created', actor, { text: 'hi', extra: undefined });
  t.equal(first.seq, 5, 'lastSeq + 1');
  t.same(calls[0]!.filter, { _id: 'r1', deletedAt: null }, 'only a live room takes events');
  t.same(calls[0]!.update, { $inc: { lastSeq: 1 } }, 'the counter is incremented in the same write');
  t.equal(calls[0]!.options.session, session, 'inside the transaction');
  t.equal(calls[0]!.options.new, true, 'reading the incremented value');
  t.same(first.payload, { text: 'hi' }, 'the payload is stored as JSON would carry it');
  t.equal(created[0]!.options.session, session, 'the event is inserted in the transaction');
  const stored = created[0]!.docs[0]!;
  t.ok(stored.at instanceof Date && stored.at.toISOString() === first.at, 'stored with a Date, returned as ISO');
  t.same({ ...stored, at: first.at }, first, 'what is stored is what is returned');

  let given: [number, string] | null = null;
  const second = await append('r1', 'message.created', null, (seq, at) => {
    given = [seq, at];
    return { message: { seq } };
  });
  t.same(given, [6, second.at], 'a payload function gets the seq and time before the event is written');
  t.same(second.payload, { message: { seq: 6 } });
  t.equal(rooms.get('r1')!.lastSeq, 6);

  rooms.set('gone', { lastSeq: 9, deletedAt: new Date() });
  for (const roomId of ['gone', 'missing']) {
    const before = created.length;
    await t.rejects(append(roomId, 'member.joined', actor, {}), { code: 'ROOM_NOT_FOUND' }, `${roomId}: no such room`);
    t.equal(created.length, before, 'and no event written');
  }
});
