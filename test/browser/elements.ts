/**
 * Element tests: the client's elements mounted one at a time in a real browser with a fake state (a ChatClient
 * filled by the test), no server. The page and the bundle are served by page.route on a made-up origin, and so is
 * every API request the elements make (the test answers them or lets them fail).
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import type { Page, Route } from 'playwright-core';
import { ROOT } from './harness.js';

export const ORIGIN = 'http://parley.test';

let bundle: Promise<string> | null = null;

function build(): Promise<string> {
  bundle ??= esbuild
    .build({
      entryPoints: [path.join(ROOT, 'test/browser/fixtures/elements.ts')],
      bundle: true,
      format: 'esm',
      write: false,
      absWorkingDir: ROOT,
      target: ['chrome111'],
      tsconfigRaw: {
        compilerOptions: { experimentalDecorators: true, useDefineForClassFields: false, target: 'ES2022' },
      },
      logLevel: 'silent',
    })
    .then((r) => r.outputFiles[0]!.text);
  return bundle;
}

export type ApiHandler = (route: Route, method: string, pathname: string, body: unknown) => Promise<void> | void;

/**
 * Opens the fixture page. API requests go to `api` (by default: 503, as if the server were down), and each is
 * recorded in `requests`.
 */
export interface ApiRequest {
  method: string;
  path: string;
  body: unknown;
}

export async function openFixture(page: Page, api?: ApiHandler): Promise<{ requests: ApiRequest[] }> {
  const requests: ApiRequest[] = [];
  const js = await build();
  const css = readFileSync(path.join(ROOT, 'web/src/global.css'), 'utf8');
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/') {
      return route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><style>${css}</style>
          <script type="module" src="/fixture.js"></script></head><body></body></html>`,
      });
    }
    if (url.pathname === '/fixture.js') return route.fulfill({ contentType: 'text/javascript', body: js });
    const method = route.request().method();
    let body: unknown;
    try {
      body = route.request().postDataJSON();
    } catch {
      body = route.request().postData();
    }
    requests.push({ method, path: url.pathname, body });
    if (api) return api(route, method, url.pathname, body);
    return route.fulfill({
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'No server in element tests' } }),
    });
  });
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction('!!window.fixture');
  return { requests };
}
