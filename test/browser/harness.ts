/**
 * Browser test harness: a real Parley server as a child process (so a test can kill and restart it on the same
 * DATA_DIR and port) and Debian's chromium driven by playwright-core. No test tool downloads a browser.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { buildWeb } from '../../scripts/build-web.js';
import { findBrowser } from './find-browser.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Generous: CI machines have two slow cores shared by parallel test files. */
export const TIMEOUT = 20_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerProcess {
  url: string;
  port: number;
  dataDir: string;
  /** Stops the process (SIGKILL simulates a crash) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and DATA_DIR. */
  restart(): Promise<void>;
  /** Stops it and removes its DATA_DIR. */
  dispose(): Promise<void>;
  output(): string;
}

export async function startServer(opts: { env?: Record<string, string> } = {}): Promise<ServerProcess> {
  await buildWeb();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-browser-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let log = '';

  const launch = async () => {
    child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        BCRYPT_ROUNDS: '4',
        LOG_LEVEL: 'warn',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // Generous: starting means compiling the server with tsx, slow on a loaded machine.
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`server exited with ${child.exitCode ?? child.signalCode}:\n${log}`);
      }
      try {
        const res = await fetch(`${url}/api/health`);
        if (res.ok) return;
      } catch {
        /* not yet listening */
      }
      if (Date.now() > deadline) throw new Error(`server did not become healthy:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const c = child as ChildProcess | null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    url,
    port,
    dataDir,
    stop,
    restart: launch,
    async dispose() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    output: () => log,
  };
}

/** Launches the browser that findBrowser() finds (or installs); throws its one-line hint when there is none. */
export async function launchBrowser(executablePath = findBrowser()): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

export interface BrowserSuite {
  server: ServerProcess;
  browser: Browser;
}

/**
 * The set-up of a browser test file: a server (with `env`) and a browser, started before the first test and stopped
 * after the last. Without a browser the file fails at once with one line saying what to install, and starts no
 * server that could keep it running.
 */
export function withBrowser(t: Test, opts: { env?: Record<string, string>; server?: boolean } = {}): BrowserSuite {
  const suite = {} as BrowserSuite;
  t.before(async () => {
    let executable: string;
    try {
      executable = findBrowser();
    } catch (err) {
      // One line, no stack: the message says what to do.
      const message = (err as Error).message;
      throw Object.assign(new Error(message), { stack: message });
    }
    const [server, browser] = await Promise.allSettled([
      opts.server === false ? Promise.resolve(undefined) : startServer(opts),
      launchBrowser(executable),
    ]);
    if (server.status === 'fulfilled' && server.value) suite.server = server.value;
    if (browser.status === 'fulfilled') suite.browser = browser.value;
    if (server.status === 'rejected') throw server.reason;
    if (browser.status === 'rejected') throw browser.reason;
  });
  t.teardown(async () => {
    await suite.browser?.close();
    await suite.server?.dispose();
  });
  return suite;
}

/** A fresh context (its own cookies: one user) with a page that fails the test on any dialog or page error. */
export async function newPage(
  browser: Browser,
  viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.type()} ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  if (process.env.PARLEY_DEBUG) {
    page.on('console', (msg) => console.error(`[browser] ${msg.type()}: ${msg.text()}`));
    page.on('requestfinished', async (req) =>
      console.error(`[net] ${req.method()} ${req.url()} ${(await req.response())?.status()}`),
    );
    page.on('requestfailed', (req) =>
      console.error(`[net] FAILED ${req.method()} ${req.url()} ${req.failure()?.errorText}`),
    );
  }
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text()))
      problems.push(`console: ${msg.text()}`);
  });
  return { context, page, problems };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

export interface ApiUser {
  id: string;
  username: string;
  password: string;
  /** A personal API token: unlike an access token it does not expire, so it survives restarts and short TTLs. */
  token: string;
}

// Tests read what they assert on; the default keeps ad-hoc calls short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function apiCall<T = any>(
  url: string,
  method: string,
  pathname: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + pathname, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export async function apiUser(url: string, username: string): Promise<ApiUser> {
  const password = `correct horse battery staple ${username}`;
  const reg = await apiCall(url, 'POST', '/api/auth/register', {
    body: { username, email: `${username}@example.com`, password },
  });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await apiCall(url, 'POST', '/api/auth/login', { body: { login: username, password } });
  const tok = await apiCall(url, 'POST', '/api/tokens', {
    token: login.body.accessToken,
    body: { name: 'browser test' },
  });
  if (tok.status !== 201) throw new Error(`token ${username}: ${tok.status} ${JSON.stringify(tok.body)}`);
  return { id: reg.body.user.id, username, password, token: tok.body.token };
}

/** Signs in through the login page. */
export async function loginUi(page: Page, url: string, login: string, password: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('parley-chat').waitFor();
}

/** The texts of the messages shown in the open room, in display order. */
export async function shownTexts(page: Page): Promise<string[]> {
  return page.locator('parley-room-view [data-testid="message-text"]').allTextContents();
}

/** Every shown message as seq:text, and its delivery status, in display order. */
export async function shownMessages(
  page: Page,
): Promise<Array<{ seq: string | null; status: string | null; text: string }>> {
  return page.locator('parley-room-view [data-testid="message"]').evaluateAll((els) =>
    els.map((el) => ({
      seq: el.getAttribute('data-seq'),
      status: el.getAttribute('data-status'),
      text: el.querySelector('[data-testid="message-text"]')?.textContent ?? '',
    })),
  );
}

/** Waits until `fn` returns true (polling), with a useful failure message. */
export async function waitFor(what: string, fn: () => Promise<boolean> | boolean, timeout = TIMEOUT): Promise<void> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The aria-label (or text) of the focused element, looking through shadow roots. */
export async function focusedLabel(page: Page): Promise<string> {
  // A string, not a function: tsx's helpers do not exist in the page.
  return page.evaluate(`(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a ? (a.getAttribute('aria-label') || (a.textContent || '').trim()) : '';
  })()`);
}
