import t from 'tap';
import { api, newUser, startApp } from './helpers/app.js';

const STRONG = 'correct horse battery staple';

t.test('display names: normalised, and refused with invisible or direction-changing characters', async (t) => {
  const srv = await startApp();
  t.teardown(() => srv.close());
  let n = 0;
  const register = (displayName: string) => {
    n++;
    const body = { username: `dn${n}`, email: `dn${n}@example.com`, password: STRONG, displayName };
    return api(srv.url, 'POST', '/api/auth/register', { body });
  };
  const refused = [
    'ecila\u202E', // right-to-left override: shows as "alice"
    'al\u200Bice',
    '\u2066alice\u2069',
    'alice\u200F',
    'a\u2028b',
    'nel\u0085',
    '\u3164', // Hangul filler: a blank name
    'soft\u00ADhyphen',
    'a' + '\u0301'.repeat(10),
    '\uFEFFalice',
  ];
  for (const name of refused) {
    const res = await register(name);
    // Escaped: a raw U+2028 or NEL in an assertion name would break the TAP stream.
    const shown = [...name].map((c) => (/[\p{L}\p{N}]/u.test(c) ? c : `\\u${c.codePointAt(0)!.toString(16)}`));
    t.equal(res.status, 400, `${shown.join('')} -> 400`);
    t.equal(res.body.error.code, 'VALIDATION_FAILED');
    t.ok(
      res.body.error.details.some((d: { path: string }) => d.path === 'body.displayName'),
      'the field is named',
    );
  }
  t.match((await register('bad\u202Ename')).body.error.message, /direction.*U\+202E/, 'the character is named');

  const decomposed = 'Zoe\u0308  \u00A0Ma\u0301rquez ';
  const ok = await register(decomposed);
  t.equal(ok.status, 201);
  t.equal(ok.body.user.displayName, 'Zo\u00EB M\u00E1rquez', 'NFC, spaces collapsed, trimmed');
  t.equal((await register('👨\u200D👩\u200D👧 family')).status, 201, 'an emoji ZWJ sequence is fine');
  t.equal((await register('   ')).status, 400, 'blank');

  const user = await newUser(srv.url);
  const patch = (displayName: string) => api(srv.url, 'PATCH', '/api/me', { token: user.token, body: { displayName } });
  const patched = await patch('ali\u200Dce');
  t.equal(patched.status, 400, 'profile updates are checked too');
  t.ok(patched.body.error.details.some((d: { path: string }) => d.path === 'body.displayName'));
  t.equal((await patch(' Ame\u0301lie   Poulain ')).body.user.displayName, 'Am\u00E9lie Poulain');
});
