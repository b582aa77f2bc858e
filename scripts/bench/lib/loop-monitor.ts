/**
 * A preload for the server under test (`node --import tsx --import <this file> server/main.ts`): it measures the
 * event loop's longest stall without touching server code, and appends one line every INTERVAL_MS to the file named
 * by BENCH_LOOP_FILE: `<wall ms> <longest gap ms> <samples>`. Each garbage collection pause of the main thread adds
 * a line `gc <wall ms at its end> <pause ms> <kind>`, so a report can tell a collector's pause from JavaScript work.
 * The orchestrator reads the lines of a time window.
 *
 * perf_hooks.monitorEventLoopDelay arms a libuv timer every RESOLUTION_MS and records the time between its firings, so
 * a turn (or run of I/O callbacks) that blocks the loop for T ms shows as a gap of T to T + RESOLUTION_MS. The timer
 * lives in C++, so it costs the server almost nothing besides its wake-ups.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { PerformanceObserver, constants, monitorEventLoopDelay, performance } from 'node:perf_hooks';

const RESOLUTION_MS = 2;
const INTERVAL_MS = 200;

const file = process.env.BENCH_LOOP_FILE;
if (file) {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  const fd = openSync(file, 'a');
  const flush = () => {
    // An empty interval (the loop stalled through all of it) reports nothing new; the next line carries the stall.
    if (h.count > 0) writeSync(fd, `${Date.now()} ${(h.max / 1e6).toFixed(2)} ${h.count}\n`);
    h.reset();
  };
  setInterval(flush, INTERVAL_MS).unref();
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const end = performance.timeOrigin + e.startTime + e.duration;
      const kind = kinds[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
      writeSync(fd, `gc ${end.toFixed(0)} ${e.duration.toFixed(2)} ${kind}\n`);
    }
  }).observe({ entryTypes: ['gc'] });
  process.once('exit', () => {
    flush();
    closeSync(fd);
  });
}

export const LOOP_MONITOR_RESOLUTION_MS = RESOLUTION_MS;
