import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { post, twoInARoom } from '../helpers/app.js';
import type { MessageBody } from '../helpers/bodies.js';

const scripts = path.resolve(import.meta.dirname, '../../scripts');
const hasCurl = await new Promise<boolean>((resolve) => execFile('curl', ['--version'], (err) => resolve(!err)));
const skip = hasCurl ? false : 'curl is not installed (the scripts use it)';

t.test('parley-post --reply-to replies; parley-tail shows replies and thread updates readably', { skip }, async (t) => {
  const { srv, a, b, room } = await twoInARoom(t);
  const root = await post(srv.url, a, room.id, 'deploy at five?');
  const env = { ...process.env, PARLEY_URL: srv.url, PARLEY_TOKEN: b.token };
  const posted = await new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(
      'bash',
      [path.join(scripts, 'parley-post'), '--reply-to', String(root.seq), room.id, 'fine by me'],
      {
        env,
        timeout: 60_000,
      },
      (err, stdout) => resolve({ code: err ? -1 : 0, stdout }),
    ),
  );
  t.equal(posted.code, 0);
  const reply = (JSON.parse(posted.stdout) as MessageBody).message;
  t.same([reply.replyTo?.seq, reply.threadSeq], [root.seq, root.seq], 'posted as a reply');

  const bad = await new Promise<number>((resolve) =>
    execFile('bash', [path.join(scripts, 'parley-post'), '--reply-to', 'x', room.id, 'no'], { env }, (err) =>
      resolve(typeof err?.code === 'number' ? err.code : 0),
    ),
  );
  t.equal(bad, 2, 'a --reply-to that is no seq is a usage error');

  // parley-tail follows for ever: run it in its own process group and end the group.
  const tail = spawn('bash', [path.join(scripts, 'parley-tail'), room.id, '0'], { env, detached: true });
  t.teardown(() => {
    try {
      process.kill(-tail.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
  });
  let out = '';
  tail.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const threadLine = `${reply.seq + 1} [thread #${root.seq}: 1 reply by ${b.username}]`;
  for (let i = 0; !out.includes(threadLine); i++) {
    if (i > 300) throw new Error(`parley-tail printed:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.match(out, `${root.seq} ${a.username}: deploy at five?`);
  t.match(out, `${reply.seq} ${b.username} ↳ re #${root.seq}: fine by me`, 'a reply names its parent');
  t.match(out, threadLine, 'a thread update is one short line');
});
