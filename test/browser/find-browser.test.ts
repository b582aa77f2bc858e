import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { findBrowser, INSTALL_HINT } from './find-browser.js';
import { ROOT } from './harness.js';

/** How the browser tests find a browser, and that a machine without one fails at once instead of hanging. */

const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-find-browser-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const fakeBrowser = (name: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, 0o755);
  return file;
};

t.test('CHROMIUM_PATH first, then the usual places', async (t) => {
  const mine = fakeBrowser('my-chrome');
  const debian = fakeBrowser('chromium');
  t.equal(findBrowser({ env: { CHROMIUM_PATH: mine }, candidates: [debian] }), mine, 'CHROMIUM_PATH wins');
  t.equal(findBrowser({ env: {}, candidates: [path.join(dir, 'absent'), debian] }), debian, 'the first one present');
  t.throws(
    () => findBrowser({ env: { CHROMIUM_PATH: path.join(dir, 'absent') }, candidates: [debian] }),
    /CHROMIUM_PATH=.*absent is not an executable/,
    'a wrong CHROMIUM_PATH is named, not ignored',
  );
});

t.test('none found: install on Debian as root, else say what to install', async (t) => {
  const target = path.join(dir, 'installed-chromium');
  let installs = 0;
  const found = findBrowser({
    env: {},
    candidates: [target],
    canInstall: () => true,
    install: () => {
      installs++;
      fakeBrowser('installed-chromium');
      return true;
    },
  });
  t.equal(found, target, 'the installed browser is used');
  t.equal(installs, 1, 'installed once');
  t.throws(
    () =>
      findBrowser({ env: {}, candidates: [path.join(dir, 'nothing')], canInstall: () => true, install: () => false }),
    /installing Debian's chromium failed/,
  );
  let asked = false;
  t.throws(
    () =>
      findBrowser({
        env: {},
        candidates: [path.join(dir, 'nothing')],
        canInstall: () => false,
        install: () => (asked = true),
      }),
    { message: INSTALL_HINT },
    'elsewhere: one line saying what to install',
  );
  t.notOk(asked, 'no install attempted where it cannot work');
  t.match(INSTALL_HINT, /apt-get install -y chromium/);
  t.notMatch(INSTALL_HINT, /\n/, 'one line');
});

t.test('a browser test file without a browser fails at once with that line and starts no server', async (t) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/browser/fixtures/one-browser-test.ts')],
    {
      cwd: ROOT,
      env: { ...process.env, CHROMIUM_PATH: path.join(dir, 'no-such-browser'), TAP: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  // A hang (the old behaviour: a server left running kept the file alive until tap's timeout) ends here instead.
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(killer);
  t.equal(signal, null, 'it ended by itself');
  t.not(code, 0, 'it failed');
  t.match(out, /not ok 1 - CHROMIUM_PATH=\S+no-such-browser is not an executable browser/, 'with the one line');
  t.notMatch(out, /opens a page/, 'and ran no test');
});
