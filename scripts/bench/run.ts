/**
 * `npm run bench` — Parley's benchmark suite. Fan-out against a Socket.IO peer and a raw-socket ceiling,
 * idle connections, posting, resume, a CPU profile of the fan-out path, and search over a million messages.
 * Results go to bench-results/<run>/ as JSON; a full run also rewrites BENCHMARKS.md. `npm run bench -- --quick` is
 * the small, under-a-minute version CI runs to keep the scripts working (it asserts nothing about timings).
 *
 * Options: --quick; --only=members,web,storm,fanout,connections,posting,resume,profile,search,history;
 * --systems=parley,socket.io,raw and --sizes=1000,5000 (subsets of the fan-out and storm sizes); --no-md (do not
 * touch BENCHMARKS.md); --md (write it even for a quick or partial run); --server-root=DIR (run the Parley server
 * from another checkout, e.g. a worktree of an older commit, with this harness);
 * --render=bench-results/<run> (rebuild a finished run's report; with --md also BENCHMARKS.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connections, type ConnectionsResult } from './scenarios/connections.js';
import { fanout, type SizeResult, type System } from './scenarios/fanout.js';
import { membersFanout, webMembersFanout } from './scenarios/members.js';
import { storm, type StormResult, type StormVariant } from './scenarios/storm.js';
import { removeSeed, seedMembers, type MemberSeed, type OtherRooms } from './lib/members.js';
import { historyPages, type HistoryResult } from './scenarios/history.js';
import { postingAndResume, type PostingResult, type ResumeResult } from './scenarios/posting.js';
import { profileFanout, type ProfileResult } from './scenarios/profile.js';
import { searchScenario, type SearchResult } from './scenarios/search.js';
import {
  HAS_TASKSET,
  installCleanup,
  killAllChildren,
  machineInfo,
  openFileLimit,
  pinningNote,
  pinSelfToLoadCore,
} from './lib/proc.js';
import { getServerRoot, ROOT, serverCommit, serverNodeFlags, setServerRoot } from './lib/targets.js';
import { renderMarkdown, renderSearch, renderSummary, type BenchResults } from './report.js';
import { withNotes } from './report-notes.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : null;
const want = (s: string) => !only || only.has(s);
const listArg = (name: string) =>
  argv
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3)
    .split(',');
const systems = (listArg('systems') ?? ['parley', 'socket.io', 'raw']) as System[];
const sizesArg = listArg('sizes')?.map(Number);
const serverRootArg = argv.find((a) => a.startsWith('--server-root='));
if (serverRootArg) setServerRoot(serverRootArg.slice('--server-root='.length));
const writeMd =
  argv.includes('--md') ||
  (!quick && !argv.includes('--no-md') && !only && !sizesArg && systems.length === 3 && !serverRootArg);

const config = quick
  ? {
      members: {
        sizes: [200],
        workers: 2,
        users: 0,
        stepMs: 500,
        startDeliveries: 2000,
        maxClimb: 1,
        refine: 0,
        p99LimitMs: 100,
        keepUpP99Ms: 1000,
        noisyOtherCpu: 0.25,
        noiseRetries: 0,
        retryBudget: { left: 0 },
        targetRates: {} as Record<number, number>,
      },
      storm: {
        sizes: [100],
        variants: ['connect', 'reconnect'] as StormVariant[],
        workers: 2,
        rate: 10,
        behind: 100,
        maxMs: 10_000,
        afterMs: 200,
        drainMs: 5000,
      },
      fanout: {
        sizes: [200],
        workers: 2,
        users: 4,
        stepMs: 500,
        startDeliveries: 2000,
        maxClimb: 1,
        refine: 0,
        p99LimitMs: 100,
        keepUpP99Ms: 1000,
        noisyOtherCpu: 0.25,
        noiseRetries: 0,
        retryBudget: { left: 0 },
      },
      connections: { steps: [200] as Array<number | 'max'>, perWorker: 5000, users: 4 },
      posting: { connections: 20, durationS: 1, resumeMissed: [200], resumeReps: 2, withNormal: false },
      profile: { subscribers: 200, rate: 20, windowMs: 800, workers: 1, users: 4 },
      search: { messages: 20_000, rooms: 20, authors: 10, memberOf: 5, queries: 20 },
      history: { messages: 2000, reactions: 200, users: 20, requests: 30 },
    }
  : {
      members: {
        sizes: [1000, 5000, 10000],
        workers: 4,
        users: 0,
        stepMs: 5000,
        startDeliveries: 10_000,
        maxClimb: 7,
        refine: 1,
        p99LimitMs: 100,
        keepUpP99Ms: 1000,
        noisyOtherCpu: 0.25,
        noiseRetries: 1,
        retryBudget: { left: 12 },
        // The targets: 1,000 members at 50,000 deliveries/s, 10,000 at 20,000.
        targetRates: { 1000: 50, 10000: 2 } as Record<number, number>,
      },
      storm: {
        sizes: [1000, 5000, 10000],
        variants: ['connect', 'reconnect'] as StormVariant[],
        workers: 4,
        rate: 10,
        behind: 100,
        maxMs: 60_000,
        afterMs: 1000,
        drainMs: 30_000,
      },
      fanout: {
        sizes: [1000, 5000, 10000],
        workers: 4,
        users: 20,
        stepMs: 5000,
        startDeliveries: 10_000,
        maxClimb: 7,
        refine: 1,
        p99LimitMs: 100,
        keepUpP99Ms: 1000,
        noisyOtherCpu: 0.25,
        noiseRetries: 1,
        retryBudget: { left: 12 },
      },
      connections: { steps: [1000, 5000, 10_000, 'max'] as Array<number | 'max'>, perWorker: 5000, users: 20 },
      posting: { connections: 50, durationS: 10, resumeMissed: [1000, 10_000], resumeReps: 3, withNormal: true },
      profile: { subscribers: 5000, rate: 0, windowMs: 10_000, workers: 4, users: 20 },
      search: { messages: 1_000_000, rooms: 200, authors: 100, memberOf: 50, queries: 200 },
      history: { messages: 100_000, reactions: 10_000, users: 20, requests: 300 },
    };

function log(line: string): void {
  process.stdout.write(line + '\n');
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** --render=<bench-results dir>: rebuild the report (BENCHMARKS.md with --md) from a finished run's results.json. */
function render(dir: string): void {
  const results = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as BenchResults;
  log(renderSummary(results));
  const md = renderMarkdown(results);
  writeFileSync(path.join(dir, 'BENCHMARKS.md'), md);
  if (argv.includes('--md')) {
    writeBenchmarksMd(md);
    log('wrote BENCHMARKS.md');
  }
}

/** Rewrites BENCHMARKS.md with a run's report, keeping the hand-written notes of the file it replaces. */
function writeBenchmarksMd(md: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  writeFileSync(file, withNotes(md, existsSync(file) ? readFileSync(file, 'utf8') : null));
}

async function main(): Promise<void> {
  const renderArg = argv.find((a) => a.startsWith('--render='));
  if (renderArg) return render(path.resolve(renderArg.slice('--render='.length)));
  installCleanup();
  // Every step is bounded on its own; this is the last resort, so that no run can hang CI or leave processes behind.
  const watchdog = setTimeout(
    () => {
      process.stderr.write(`bench: gave up after ${quick ? 5 : 90} minutes\n`);
      killAllChildren();
      process.exit(1);
    },
    (quick ? 5 : 90) * 60_000,
  );
  watchdog.unref();
  pinSelfToLoadCore();
  const started = new Date();
  const t0 = performance.now();
  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outDir = path.join(ROOT, 'bench-results', `${stamp}-${quick ? 'quick' : 'full'}`);
  mkdirSync(outDir, { recursive: true });
  const save = (name: string, data: unknown) =>
    writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(data, null, 2) + '\n');

  const results: BenchResults = {
    mode: quick ? 'quick' : 'full',
    command: `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`,
    started: started.toISOString(),
    durationS: 0,
    commit: commit(),
    serverRoot: serverRootArg ? getServerRoot() : null,
    serverCommit: serverCommit(),
    machine: machineInfo(),
    pinning: pinningNote(),
    serverNodeFlags: serverNodeFlags(HAS_TASKSET).join(' '),
    loadavgBefore: (await import('node:os')).loadavg(),
    config,
    members: [],
    storm: [],
    seed: null,
    fanout: [],
    connections: null,
    posting: null,
    resume: [],
    profile: null,
    search: null,
    history: null,
    sectionsS: {},
  };
  log(
    `Parley benchmarks (${results.mode}) — ${results.pinning}; Parley server Node flags: ${results.serverNodeFlags || 'none'}`,
  );
  log(`results: ${path.relative(ROOT, outDir)}/`);

  let mark = performance.now();
  const section = (name: string) => {
    const now = performance.now();
    results.sectionsS[name] = Math.round((now - mark) / 100) / 10;
    log(`  (${name}: ${((now - mark) / 1000).toFixed(1)} s)`);
    mark = now;
  };
  // Web members: the members' scenario on /api/events, each member also in 10 of 40 other rooms. Not in the quick run
  // unless asked for (--only=web): it seeds its own members.
  const web = { sizes: quick ? [200] : [1000, 10000], otherRooms: { pool: 40, each: 10 } as OtherRooms };
  if (sizesArg) {
    web.sizes = sizesArg;
    config.members.sizes = sizesArg;
    config.storm.sizes = sizesArg;
    config.fanout.sizes = sizesArg;
  }
  // The server holds one descriptor per member stream (children inherit this process's limit).
  const fdLimit = openFileLimit(process.pid);
  const biggest = Math.max(
    0,
    ...(want('members') ? config.members.sizes : []),
    ...(want('storm') ? config.storm.sizes : []),
  );
  if (fdLimit !== null && fdLimit < biggest + 500)
    log(`warning: the open-file limit (${fdLimit}) is below ${biggest} streams plus a reserve: raise ulimit -n`);
  // The distinct members, made once through the API of the server under test and copied for every server after.
  let seed: MemberSeed | null = null;
  try {
    if ((want('members') && systems.includes('parley')) || want('storm')) {
      log('\n[seed] distinct members');
      const sizes = [...(want('members') ? config.members.sizes : []), ...(want('storm') ? config.storm.sizes : [])];
      seed = await seedMembers(sizes, log);
      results.seed = { members: seed.members, rooms: seed.rooms.map((r) => r.size), seconds: seed.seconds };
      section('seed');
    }
    if (want('members')) {
      // Size by size, the three systems back to back (each on a fresh server), so that they meet similar conditions
      // on a shared machine rather than one system getting a quiet quarter of an hour and another a busy one.
      for (const S of config.members.sizes) {
        for (const system of systems) {
          log(`\n[members] ${system}, ${S} distinct members, one stream each`);
          const r: SizeResult[] = await membersFanout(system, seed!, { ...config.members, sizes: [S], log });
          results.members!.push(...r);
          section(`members ${system} S=${S}`);
        }
        save('members', results.members);
      }
    }
    if (want('storm')) {
      log('\n[storm] distinct members connecting, and reconnecting after a restart, at once');
      const r: StormResult[] = await storm(seed!, { ...config.storm, log });
      results.storm = r;
      save('storm', r);
      section('storm');
    }
  } finally {
    removeSeed(seed);
  }
  if ((only ? only.has('web') : !quick) && systems.includes('parley')) {
    let webSeed: MemberSeed | null = null;
    try {
      log(`\n[seed] web members, each in ${web.otherRooms.each} of ${web.otherRooms.pool} other rooms`);
      webSeed = await seedMembers(web.sizes, log, web.otherRooms);
      section('web seed');
      results.web = [];
      for (const S of web.sizes) {
        log(`\n[web] parley, ${S} distinct members on /api/events, each in ${web.otherRooms.each + 1} rooms`);
        const r: SizeResult[] = await webMembersFanout(webSeed, { ...config.members, sizes: [S], log });
        results.web.push(...r);
        section(`web S=${S}`);
      }
      save('web', results.web);
    } finally {
      removeSeed(webSeed);
    }
  }
  // Many streams per user: Parley only (the peer and the ceiling have no users, so this case is the one above). Not in
  // the quick run unless asked for (--only=fanout): it is the members' rate search with the fixture the connections,
  // posting and profile scenarios use, all of which the quick run exercises, and it keeps that run under a minute.
  if ((only ? only.has('fanout') : !quick) && systems.includes('parley')) {
    for (const S of config.fanout.sizes) {
      log(`\n[fan-out] parley, ${S} streams of ${config.fanout.users} users`);
      const r: SizeResult[] = await fanout('parley', { ...config.fanout, sizes: [S], log });
      results.fanout.push(...r);
      section(`fan-out parley S=${S}`);
    }
    save('fanout', results.fanout);
  }
  // Idle connections: not in the quick run unless asked for (--only=connections), for CI's minute; the members and
  // storm scenarios open (and count) streams the same way.
  if (only ? only.has('connections') : !quick) {
    log('\n[connections]');
    const r: ConnectionsResult = await connections({ ...config.connections, log });
    results.connections = r;
    save('connections', r);
    section('connections');
  }
  if (want('posting') || want('resume')) {
    log(want('posting') ? '\n[posting + resume]' : '\n[resume]');
    const resumeOnly = !want('posting');
    const r: { posting: PostingResult | null; resume: ResumeResult[] } = await postingAndResume({
      ...config.posting,
      resumeOnly,
      log,
    });
    results.posting = r.posting;
    results.resume = r.resume;
    if (r.posting) save('posting', r.posting);
    save('resume', r.resume);
    section('posting + resume');
  }
  if (want('profile')) {
    log('\n[profile]');
    const S = config.profile.subscribers;
    // Profile at the highest rate Parley kept up with for this many subscribers in this run (else a modest default).
    const found = results.fanout.find((x) => x.system === 'parley' && x.subscribers === S);
    const sustained = found?.capacity?.rate ?? found?.best?.rate;
    const rate = config.profile.rate || sustained || Math.max(1, Math.round(20_000 / S));
    const profDir = path.join(outDir, 'cpu-profile');
    mkdirSync(profDir, { recursive: true });
    const r: ProfileResult = await profileFanout({ ...config.profile, rate, outDir: profDir, log });
    results.profile = r;
    save('profile', r);
    section('profile');
  }

  if (want('search')) {
    log('\n[search]');
    const r: SearchResult = await searchScenario({ ...config.search, log });
    results.search = r;
    save('search', r);
    // The section alone too, for adding to BENCHMARKS.md after a partial run.
    writeFileSync(path.join(outDir, 'search.md'), renderSearch(r, results.command));
    section('search');
  }

  if (want('history')) {
    log('\n[history pages, without and with reactions]');
    const r: HistoryResult = await historyPages({ ...config.history, log });
    results.history = r;
    save('history', r);
    section('history');
  }

  results.durationS = (performance.now() - t0) / 1000;
  save('results', results);
  const summary = renderSummary(results);
  log('\n' + summary);
  const md = renderMarkdown(results);
  writeFileSync(path.join(outDir, 'BENCHMARKS.md'), md);
  if (writeMd) {
    writeBenchmarksMd(md);
    log('wrote BENCHMARKS.md');
  }
  log(`done in ${results.durationS.toFixed(0)} s; results in ${path.relative(ROOT, outDir)}/`);
}

main().then(
  () => {
    killAllChildren();
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAllChildren();
    process.exit(1);
  },
);
