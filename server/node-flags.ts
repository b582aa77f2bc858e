/**
 * Node and V8 flags for the server process, by the number of cores it may use (os.availableParallelism(), which
 * follows the process's CPU affinity). Measured in 10,000-member reconnect storms with the server pinned to one core
 * (BENCHMARKS.md, issue 13, fifth pass):
 * - `--single-threaded-gc`: V8's helper threads (concurrent marking and sweeping, parallel scavenges) share the one
 *   core with the event loop, so the loop loses it to them for a scheduler slice at a time. With the collector on the
 *   main thread the storms' longest stalls that were not a collection went away, and storms went live sooner.
 * - `--max-semi-space-size=8` (MiB; Node 20's default is 16): a young-generation collection copies what survives,
 *   and a storm's new connections all do, so the pause grows with the young generation: 37-67 ms at the default,
 *   17-36 ms at 8 MiB. Fan-out at 1,000 members was the same within the runs' spread.
 * With two or more cores the helper threads run beside the loop; nothing is changed there (not measured).
 */
export const ONE_CORE_NODE_FLAGS = ['--single-threaded-gc', '--max-semi-space-size=8'] as const;

/** The flags for a server with `cores` cores, leaving out any the operator set in NODE_OPTIONS (theirs win). */
export function nodeFlagsFor(cores: number, nodeOptions = ''): string[] {
  if (cores !== 1) return [];
  const given = new Set(nodeOptions.split(/\s+/).map((option) => option.split('=')[0]));
  return ONE_CORE_NODE_FLAGS.filter((flag) => !given.has(flag.split('=')[0]));
}
