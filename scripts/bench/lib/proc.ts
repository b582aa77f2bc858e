/**
 * Child processes of the benchmark: spawned pinned to a core (taskset when present), tracked so that every one is
 * killed at the end, also on error or Ctrl-C, and sampled from /proc for CPU time and resident memory.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

const children = new Set<ChildProcess>();

export const HAS_TASKSET = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
export const CORES = os.cpus().length;
/** Server on core 0, load (orchestrator, workers, posters, autocannon) on the last core. */
export const SERVER_CORE = 0;
export const LOAD_CORE = Math.max(0, CORES - 1);
export const PINNED = HAS_TASKSET && CORES >= 2;

export function pinningNote(): string {
  if (PINNED)
    return `server pinned to CPU ${SERVER_CORE}, load generators pinned to CPU ${LOAD_CORE} (taskset); ${CORES} CPUs`;
  if (!HAS_TASKSET) return `not pinned (taskset not found); ${CORES} CPUs shared by server and load`;
  return `not pinned (only ${CORES} CPU); server and load share it`;
}

/** Pins this process (all its threads) to the load core. */
export function pinSelfToLoadCore(): void {
  if (!PINNED) return;
  spawnSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
}

export interface SpawnOptions {
  core: number | null;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  cwd?: string;
}

/** Spawns `node <args>` (through taskset when pinning; taskset execs, so the child's pid is node's). */
export function spawnNode(args: string[], opts: SpawnOptions): ChildProcess {
  const cmd = PINNED && opts.core !== null ? 'taskset' : process.execPath;
  const argv = PINNED && opts.core !== null ? ['-c', String(opts.core), process.execPath, ...args] : args;
  const child = spawn(cmd, argv, {
    env: opts.env ?? process.env,
    stdio: opts.stdio ?? ['ignore', 'inherit', 'inherit'],
    cwd: opts.cwd,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export function killAllChildren(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
}

let installed = false;
/** Kills every child on exit, Ctrl-C, SIGTERM and uncaught errors. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllChildren);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping every child process\n`);
      killAllChildren();
      process.exit(130);
    });
  }
}

const CLK_TCK = 100; // getconf CLK_TCK on Linux

/** CPU seconds (user + system) a process has used so far; null when /proc is unavailable or it has exited. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Resident set size in bytes (VmRSS). */
export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Soft limit on open files of a process. */
export function openFileLimit(pid: number): number | null {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs`, remembering the peak; stop() ends it. */
export class RssSampler {
  peak = 0;
  private timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    everyMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): number {
    const rss = rssBytes(this.pid) ?? 0;
    if (rss > this.peak) this.peak = rss;
    return rss;
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

/** CPU use of a set of processes over a window, as a fraction of one core. */
export class CpuWindow {
  private readonly start: number[];
  private readonly t0 = performance.now();
  private readonly self0 = process.cpuUsage();
  constructor(
    private readonly pids: number[],
    private readonly includeSelf = false,
  ) {
    this.start = pids.map((pid) => cpuSeconds(pid) ?? 0);
  }
  private used = 0;
  /** CPU seconds used between construction and end(). */
  seconds(): number {
    return this.used;
  }
  /** Fraction of one core used since construction (1 = one core fully busy). */
  end(): number {
    const wall = (performance.now() - this.t0) / 1000;
    let used = 0;
    this.pids.forEach((pid, i) => (used += (cpuSeconds(pid) ?? this.start[i]!) - this.start[i]!));
    if (this.includeSelf) {
      const d = process.cpuUsage(this.self0);
      used += (d.user + d.system) / 1e6;
    }
    this.used = used;
    return wall > 0 ? used / wall : 0;
  }
}

export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  let kernel = os.release();
  if (existsSync('/proc/version')) kernel = readFileSync('/proc/version', 'utf8').split(' ').slice(0, 3).join(' ');
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    kernel,
    node: process.version,
    openFileLimit: openFileLimit(process.pid) ?? 'unknown',
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** CPU seconds all processes on the machine have used so far (from /proc/stat), or null. */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - (v[3] ?? 0) - (v[4] ?? 0)) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Like CpuWindow, but for everything on the machine that is not ours: how much other work competed with the run. */
export class OtherCpuWindow {
  private readonly ours: CpuWindow;
  private readonly busy0 = machineBusySeconds();
  private readonly t0 = performance.now();
  constructor(pids: number[]) {
    this.ours = new CpuWindow(pids, true);
  }
  end(): number {
    const ours = this.ours.end();
    const busy1 = machineBusySeconds();
    const wall = (performance.now() - this.t0) / 1000;
    if (this.busy0 === null || busy1 === null || wall <= 0) return 0;
    return Math.max(0, (busy1 - this.busy0) / wall - ours);
  }
}
