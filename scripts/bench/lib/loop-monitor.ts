/**
 * A preload for the server under test (`node --import tsx --import <this file> server/main.ts`): it measures the
 * event loop's longest stall without touching server code, and appends one line every INTERVAL_MS to the file named
 * by BENCH_LOOP_FILE: `<wall ms> <longest gap ms> <samples>`. The orchestrator reads the lines of a time window.
 *
 * perf_hooks.monitorEventLoopDelay arms a libuv timer every RESOLUTION_MS and records the time between its firings, so
 * a turn (or run of I/O callbacks) that blocks the loop for T ms shows as a gap of T to T + RESOLUTION_MS. The timer
 * lives in C++, so it costs the server almost nothing besides its wake-ups.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

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
  process.once('exit', () => {
    flush();
    closeSync(fd);
  });
}

export const LOOP_MONITOR_RESOLUTION_MS = RESOLUTION_MS;
