/**
 * Finds the Chromium or Chrome that the browser tests drive (playwright-core downloads no browser). In order:
 * CHROMIUM_PATH, Debian's chromium, a Chrome; on Debian or Ubuntu as root, none found, it installs Debian's
 * chromium (as .ci/run does); anywhere else it fails at once with one line saying what to install.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BROWSER_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

export const INSTALL_HINT =
  'No Chromium or Chrome for the browser tests: install one (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH to its binary';

export interface FindOptions {
  env?: Record<string, string | undefined>;
  candidates?: string[];
  /** Whether Debian's chromium may be installed here (Debian or Ubuntu, as root). */
  canInstall?: () => boolean;
  /** Installs Debian's chromium; answers whether it worked. */
  install?: () => boolean;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Debian or Ubuntu (apt-get present), as root. */
export function canInstallDebianChromium(): boolean {
  return (
    process.platform === 'linux' &&
    process.getuid?.() === 0 &&
    existsSync('/etc/debian_version') &&
    existsSync('/usr/bin/apt-get')
  );
}

/**
 * apt-get update; apt-get install -y chromium. Parallel test files wait for one another on a lock directory, so
 * apt runs once; its output goes to stderr.
 */
export function installDebianChromium(): boolean {
  const lock = path.join(os.tmpdir(), 'parley-install-chromium.lock');
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) return false;
      // Another test file is installing it: wait, then look again.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      if (isExecutable('/usr/bin/chromium')) return true;
    }
  }
  try {
    if (isExecutable('/usr/bin/chromium')) return true;
    console.error("browser tests: no Chromium found; installing Debian's chromium (apt-get install -y chromium)…");
    const opts = {
      stdio: ['ignore', 2, 2] as Array<'ignore' | number>,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 14 * 60_000,
    };
    const update = spawnSync('apt-get', ['update', '-qq'], opts);
    if (update.status !== 0) return false;
    const install = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], opts);
    return install.status === 0 && isExecutable('/usr/bin/chromium');
  } finally {
    rmdirSync(lock);
  }
}

/** The browser's path, or an Error whose message is the one line to show. */
export function findBrowser(opts: FindOptions = {}): string {
  const env = opts.env ?? process.env;
  const candidates = opts.candidates ?? BROWSER_CANDIDATES;
  const explicit = env.CHROMIUM_PATH;
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new Error(`CHROMIUM_PATH=${explicit} is not an executable browser: point it at a Chromium or Chrome binary`);
  }
  const found = candidates.find(isExecutable);
  if (found) return found;
  if ((opts.canInstall ?? canInstallDebianChromium)()) {
    if ((opts.install ?? installDebianChromium)()) {
      const installed = candidates.find(isExecutable);
      if (installed) return installed;
    }
    throw new Error(`${INSTALL_HINT} (installing Debian's chromium failed; see the apt-get output above)`);
  }
  throw new Error(INSTALL_HINT);
}
