/**
 * Bundles the browser client (web/src) into web/dist: content-hashed JS and CSS (served as immutable) and an
 * index.html that loads them (no inline script, so the page's CSP holds). Skips the work when web/dist is newer than
 * every input; `--force` rebuilds anyway, `--dev` keeps the bundle unminified.
 *
 *   npm run build:web            tsx scripts/build-web.ts
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDir = path.join(root, 'web');
const srcDir = path.join(webDir, 'src');
const distDir = path.join(webDir, 'dist');
const assetsDir = path.join(distDir, 'assets');
const template = path.join(webDir, 'index.html');
const stamp = path.join(distDir, 'index.html');

function newestMtime(entry: string): number {
  const st = statSync(entry);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

/** The files the last build read (esbuild's metafile), kept beside the output: the client imports browser-safe
 * server modules too, and a change to any of them must rebuild. */
const inputsList = path.join(distDir, 'build-inputs.json');

/** Inputs whose change requires a rebuild: every file the last build bundled, the sources (a new file), the page
 * template, this script and the installed packages. */
function inputsMtime(): number {
  let bundled: string[];
  try {
    bundled = (JSON.parse(readFileSync(inputsList, 'utf8')) as string[]).map((p) => path.join(root, p));
  } catch {
    return Infinity;
  }
  const inputs = [...bundled, srcDir, template, fileURLToPath(import.meta.url), path.join(root, 'package-lock.json')];
  // A missing input (renamed or deleted) means the bundle is stale.
  return Math.max(...inputs.map((p) => (existsSync(p) ? newestMtime(p) : Infinity)));
}

export function isUpToDate(): boolean {
  return existsSync(stamp) && statSync(stamp).mtimeMs >= inputsMtime();
}

export interface BuildResult {
  skipped: boolean;
  files: string[];
  ms: number;
}

export async function buildWeb(opts: { force?: boolean; dev?: boolean } = {}): Promise<BuildResult> {
  const started = Date.now();
  if (!opts.force && isUpToDate()) return { skipped: true, files: [], ms: Date.now() - started };

  const result = await esbuild.build({
    entryPoints: { app: path.join(srcDir, 'main.ts'), app_style: path.join(srcDir, 'global.css') },
    bundle: true,
    format: 'esm',
    target: ['chrome111', 'firefox113', 'safari16.4'],
    minify: !opts.dev,
    sourcemap: opts.dev ? 'linked' : false,
    legalComments: 'none',
    entryNames: '[name]-[hash]',
    outdir: assetsDir,
    write: false,
    metafile: true,
    absWorkingDir: root,
    tsconfigRaw: {
      compilerOptions: { experimentalDecorators: true, useDefineForClassFields: false, target: 'ES2022' },
    },
    logLevel: 'silent',
  });

  mkdirSync(assetsDir, { recursive: true });
  const written = new Set<string>();
  const urlOf = (file: string) => `/assets/${path.basename(file)}`;
  let js = '';
  let css = '';
  // Names carry a content hash, so an existing file already holds these bytes. New files appear atomically: a server
  // (or a parallel build of another test file) never sees half of one.
  const writeOnce = (file: string, contents: Uint8Array) => {
    if (existsSync(file)) return;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, contents);
    renameSync(tmp, file);
  };
  for (const out of result.outputFiles) {
    writeOnce(out.path, out.contents);
    written.add(path.basename(out.path));
    if (out.path.endsWith('.js') && path.basename(out.path).startsWith('app-')) js = urlOf(out.path);
    if (out.path.endsWith('.css')) css = urlOf(out.path);
  }
  const favicon = readFileSync(path.join(srcDir, 'favicon.svg'));
  const faviconName = `favicon-${createHash('sha256').update(favicon).digest('hex').slice(0, 10)}.svg`;
  writeOnce(path.join(assetsDir, faviconName), favicon);
  written.add(faviconName);
  if (!js || !css) throw new Error('build-web: esbuild produced no app bundle');

  // Old hashed files are removed only after the new ones are in place.
  for (const name of readdirSync(assetsDir))
    if (!written.has(name) && !name.endsWith('.tmp')) rmSync(path.join(assetsDir, name), { force: true });

  const bundled = Object.keys(result.metafile.inputs).map((p) => path.relative(root, path.resolve(root, p)));
  writeFileSync(inputsList, JSON.stringify(bundled.sort(), null, 1));

  const page = readFileSync(template, 'utf8')
    .replace('%JS%', js)
    .replace('%CSS%', css)
    .replace('%FAVICON%', `/assets/${faviconName}`);
  // index.html last, atomically: it is also the up-to-date stamp, and a server may read it at any moment.
  const tmp = `${stamp}.${process.pid}.tmp`;
  writeFileSync(tmp, page);
  renameSync(tmp, stamp);
  return { skipped: false, files: [...written].sort(), ms: Date.now() - started };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  const dev = process.argv.includes('--dev');
  buildWeb({ force, dev }).then(
    (r) => {
      if (r.skipped) console.log('build-web: web/dist is up to date');
      else {
        const sizes = r.files.map((f) => `${f} (${(statSync(path.join(assetsDir, f)).size / 1024).toFixed(1)} KiB)`);
        console.log(`build-web: built in ${r.ms} ms: ${sizes.join(', ')}`);
      }
    },
    (err) => {
      console.error(`build-web: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
