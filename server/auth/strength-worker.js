// Plain JavaScript on purpose: a worker thread does not inherit the TypeScript loader of the main thread.
// Scores passwords with zxcvbn off the main thread: one check can take most of a second of CPU.
import os from 'node:os';
import { parentPort } from 'node:worker_threads';

// The lowest priority, for this thread only (on Linux a nice value belongs to a thread, and 0 names the calling one):
// loading the dictionaries takes half a second of CPU and their heap a 50 ms compaction some seconds later, which on a
// one-core server landed in the middle of a restart's reconnect storm. The event loop comes first; a check waits.
if (process.platform === 'linux') {
  try {
    os.setPriority(0, 19);
  } catch {
    // not allowed here: run at the process's priority
  }
}

// Imported after: evaluating the dictionaries is most of the loading.
const { ZxcvbnFactory } = await import('@zxcvbn-ts/core');
const common = await import('@zxcvbn-ts/language-common');
const english = await import('@zxcvbn-ts/language-en');
const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});

parentPort.on('message', async ({ id, password, userInputs }) => {
  try {
    const result = await estimator.check(password, userInputs);
    const { warning, suggestions } = result.feedback;
    parentPort.postMessage({ id, score: result.score, warning, suggestions });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err) });
  }
});
