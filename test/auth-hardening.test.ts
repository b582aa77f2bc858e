import http from 'node:http';
import t from 'tap';
import { newUser, startApp } from './helpers/app.js';

const STRONG = 'correct horse battery staple';

interface Answer {
  status: number;
  body: { error?: { code: string } } | null;
  headers: http.IncomingHttpHeaders;
}

/** A JSON POST over a real socket from a chosen loopback source address (all of 127.0.0.0/8 reaches the server). */
function postFrom(localAddress: string, base: string, path: string, payload: unknown): Promise<Answer> {
  const { hostname, port } = new URL(base);
  const headers = { 'content-type': 'application/json' };
  return new Promise((resolve, reject) => {
    const options = { host: hostname, port, path, method: 'POST', headers, localAddress, agent: false };
    const req = http.request(options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(payload));
  });
}

function register(ip: string, base: string, username: string, password: string): Promise<Answer> {
  return postFrom(ip, base, '/api/auth/register', { username, email: `${username}@example.com`, password });
}

function login(ip: string, base: string, name: string, password: string): Promise<Answer> {
  return postFrom(ip, base, '/api/auth/login', { login: name, password });
}

function tally(answers: Answer[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const a of answers) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}

// 72 characters of digit runs: costly for zxcvbn (most of a second on the main thread before), and weak.
const CRAFTED = '1234567890'.repeat(7) + '12';

t.test('registration: the crafted password is still judged weak; a burst from one address gets 429', async (t) => {
  const srv = await startApp({ env: { REGISTER_MAX_PER_IP: '4' } });
  t.teardown(() => srv.close());
  const crafted = await register('127.0.0.5', srv.url, 'zz0', CRAFTED);
  t.equal(crafted.status, 400);
  t.equal(crafted.body?.error?.code, 'WEAK_PASSWORD', 'judged on its first characters, and weak');
  const strongStart = await register('127.0.0.5', srv.url, 'zz9', 'Vq8-plinth-Gorse-' + '1234567890'.repeat(5));
  t.equal(strongStart.status, 201, 'a strong start with a weak tail passes');

  const burst = await Promise.all(
    Array.from({ length: 12 }, (_, i) => register('127.0.0.2', srv.url, `burst${i}`, i % 2 ? CRAFTED : STRONG)),
  );
  const counts = tally(burst);
  t.ok((counts[429] ?? 0) >= 8, `at most 4 of 12 are served, the rest refused (${JSON.stringify(counts)})`);
  const refused = burst.find((a) => a.status === 429)!;
  t.equal(refused.body?.error?.code, 'TOO_MANY_REQUESTS');
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After');
  t.equal((await register('127.0.0.2', srv.url, 'later', STRONG)).status, 429, 'and the address stays limited');
  t.equal((await register('127.0.0.3', srv.url, 'other', STRONG)).status, 201, 'another address is not affected');
});

t.test('40 parallel guesses are checked against the limits, not past them', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const victim = await newUser(srv.url, 'rpvictim');
  const guesses = Array.from({ length: 40 }, (_, i) => (i === 39 ? victim.password : `guess number ${i}`));
  const counts = tally(await Promise.all(guesses.map((password) => login('127.0.0.2', srv.url, 'rpvictim', password))));
  const checked = (counts[401] ?? 0) + (counts[200] ?? 0);
  t.ok(checked <= 5, `at most 5 passwords checked for one account (${JSON.stringify(counts)})`);
  t.equal(checked + (counts[429] ?? 0), 40, 'the rest are refused');

  // 40 guesses spread over 40 accounts from one address meet the per-IP limit of 20.
  const spread = await Promise.all(
    Array.from({ length: 40 }, (_, i) => login('127.0.0.3', srv.url, `someone${i}`, 'guess guess guess')),
  );
  const spreadCounts = tally(spread);
  t.ok((spreadCounts[401] ?? 0) <= 20, `at most 20 checked from one address (${JSON.stringify(spreadCounts)})`);
  t.equal((spreadCounts[401] ?? 0) + (spreadCounts[429] ?? 0), 40);
});

t.test("someone else's wrong passwords do not lock the owner out", async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  const owner = await newUser(srv.url, 'owner');
  for (let i = 0; i < 5; i++) {
    t.equal((await login('127.0.0.2', srv.url, i % 2 ? 'owner' : 'owner@example.com', `wrong ${i}`)).status, 401);
  }
  const attacker = await login('127.0.0.2', srv.url, 'owner', owner.password);
  t.equal(attacker.status, 429, 'the guessing address is locked for this account, username and email alike');
  t.ok(Number(attacker.headers['retry-after']) > 0);
  const real = await login('127.0.0.4', srv.url, 'owner', owner.password);
  t.equal(real.status, 200, 'the owner, from another address, signs in');
  t.equal((await login('127.0.0.2', srv.url, 'owner', 'one more')).status, 429, 'which does not unlock the guesser');
  const bystander = await newUser(srv.url, 'bystander');
  const other = await login('127.0.0.2', srv.url, 'bystander', bystander.password);
  t.equal(other.status, 200, 'the guessing address may still sign in to other accounts');

  // Successful sign-ins give their reservation back: a shared address is limited by its failures only.
  for (let i = 0; i < 25; i++) {
    const ok = await login('127.0.0.6', srv.url, 'bystander', bystander.password);
    if (ok.status !== 200) t.fail(`sign-in ${i} from a busy address: ${ok.status}`);
  }
  t.pass('25 successful sign-ins from one address');
});
