/**
 * `npm start`: runs the server (main.ts) in a child Node process started with the flags that suit the cores it may
 * use (node-flags.ts), since V8's collector flags can only be given when a process starts. Stopping signals are
 * passed on once, and the launcher exits as the server does.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { nodeFlagsFor } from './node-flags.js';

const flags = nodeFlagsFor(os.availableParallelism(), process.env.NODE_OPTIONS);
const server = spawn(
  process.execPath,
  [...flags, '--import', 'tsx', path.join(import.meta.dirname, 'main.ts'), ...process.argv.slice(2)],
  // Its own process group: a terminal's Ctrl-C reaches the launcher only, which passes it on. A second SIGINT
  // would stop the server before it had closed its streams.
  { stdio: 'inherit', detached: true },
);
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
for (const signal of signals) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => {
  if (signal === null) process.exit(code ?? 1);
  // Ended by a signal: end the same way, so a supervisor sees what the server saw.
  for (const s of signals) process.removeAllListeners(s);
  process.kill(process.pid, signal);
});
