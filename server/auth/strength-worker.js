// Plain JavaScript on purpose: a worker thread does not inherit the TypeScript loader of the main thread.
// Scores passwords with zxcvbn off the main thread: one check can take most of a second of CPU.
import { parentPort } from 'node:worker_threads';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

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
