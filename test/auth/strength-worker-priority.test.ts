import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { passwordWeakness } from '../../server/auth/passwords.js';

/** The nice value of each thread of this process (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceOfThreads(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: count fields after it.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

// zxcvbn's worker loads dictionaries (half a second of CPU) and later compacts their heap (50 ms): on a one-core
// server that competed with the event loop during a restart's reconnect storm. It runs at the lowest priority.
t.test(
  'the password strength worker runs at the lowest priority, the event loop at its own',
  { skip: process.platform !== 'linux' && 'thread priorities are read from /proc (Linux)' },
  async (t) => {
    // The worker never keeps the process alive (a request would): this test does.
    const alive = setInterval(() => undefined, 1000);
    t.teardown(() => clearInterval(alive));
    const before = niceOfThreads();
    t.equal(await passwordWeakness('correct horse battery staple 9', []), null, 'a strong password passes');
    t.match(await passwordWeakness('password123', []), /too weak/, 'a weak one is told why: the worker works');
    const after = niceOfThreads();
    t.equal(after.filter((n) => n === 19).length, before.filter((n) => n === 19).length + 1, 'one more thread at 19');
    const mainThread = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[16]);
    t.not(mainThread, 19, 'the event loop keeps its priority');
  },
);
