import bcrypt from 'bcrypt';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});

export const MIN_PASSWORD_LENGTH = 10;
/** zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline slow-hash scenario". */
const MIN_SCORE = 3;

/** Why a password is too weak, or null when it is strong enough. `userInputs` (username, email...) count as guessable. */
export async function passwordWeakness(password: string, userInputs: string[]): Promise<string | null> {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  // zxcvbn's cost grows with length; anything this long is strong by length alone and is capped by the schema anyway.
  const result = await estimator.check(password.slice(0, 100), userInputs.filter(Boolean));
  if (result.score >= MIN_SCORE) return null;
  const reasons = [result.feedback.warning, ...result.feedback.suggestions].filter((s): s is string => Boolean(s));
  return `is too weak${reasons.length ? ': ' + reasons.join(' ') : ''}`;
}

export function hashPassword(password: string, rounds: number): Promise<string> {
  return bcrypt.hash(password, rounds);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/** A fixed hash to compare against when the user does not exist, so both failures cost the same time. */
let dummyHash: string | undefined;
export async function burnPasswordCheck(password: string, rounds: number): Promise<void> {
  dummyHash ??= await bcrypt.hash('parley-dummy-password', rounds);
  await bcrypt.compare(password, dummyHash);
}
