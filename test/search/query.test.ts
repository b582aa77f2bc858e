import Database from 'better-sqlite3';
import t from 'tap';
import { isDate, parseQuery, type ParsedQuery } from '../../server/search/query.js';
import { makeSnippet } from '../../server/search/snippet.js';
import { ftsQuery } from '../../server/store/sqlite/search.js';

const parse = (q: string): ParsedQuery => {
  const r = parseQuery(q);
  if (!r.ok) throw new Error(r.message);
  return r.query;
};
const terms = (q: string) => parse(q).terms.map((x) => (x.prefix ? `${x.tokens.join(' ')}*` : x.tokens.join(' ')));

t.test('words: folded, every one required; the last one a prefix while it is being typed', async (t) => {
  t.same(terms('Hello Wörld'), ['hello', 'world*']);
  t.same(terms('hello world '), ['hello', 'world'], 'a space after the last word ends it');
  t.same(terms('a'), ['a'], 'one letter is no prefix (it would expand to most of the index)');
  t.same(terms('CAFÉ crème'), ['cafe', 'creme*'], 'diacritics and case are folded');
});

t.test('quoted phrases', async (t) => {
  t.same(terms('"brown fox" jumps'), ['brown fox', 'jumps*']);
  t.same(terms('jumps "brown fox"'), ['jumps', 'brown fox'], 'a quoted phrase last is no prefix');
  t.same(terms('"unterminated phrase'), ['unterminated phrase'], 'an open quote runs to the end');
  t.same(terms('e-mail'), ['e mail*'], 'a word with punctuation is a phrase of its parts');
  t.same(terms('""  " "'), [], 'empty quotes are nothing');
});

t.test('operators', async (t) => {
  const q = parse('from:@Alice in:"Team Chat" in:random before:2026-03-01 after:2026-01-31 deploy');
  t.same(q.from, ['alice']);
  t.same(q.in, ['Team Chat', 'random']);
  t.equal(q.before, '2026-03-01');
  t.equal(q.after, '2026-01-31');
  t.same(terms('FROM:bob In:x hi'), ['hi*'], 'operator names ignore case');
  t.same(parse('from:bob from:carol').from, ['bob', 'carol'], 'several mean any of them');
  t.equal(parse('before:2026-05-01 before:2026-04-01').before, '2026-04-01', 'the narrowest date wins');
  t.equal(parse('after:2026-05-01 after:2026-04-01').after, '2026-05-01');
  t.same(terms('from:'), ['from*'], 'an operator without a value is a word');
  const bad = parseQuery('hello before:2026-02-30');
  t.equal(bad.ok, false, 'a date that does not exist is refused');
  t.match(!bad.ok && bad.message, /before: needs a date/);
  t.equal(parseQuery('after:yesterday').ok, false);
  t.ok(isDate('2024-02-29') && !isDate('2023-02-29') && !isDate('2026-1-5'));
});

t.test('unknown operators and query syntax are plain words', async (t) => {
  t.same(terms('foo:bar'), ['foo bar*']);
  t.same(terms('NEAR(a b) OR c* AND -d ^e'), ['near a', 'b', 'or', 'c', 'and', 'd', 'e'], 'no FTS syntax survives');
  t.same(terms('***'), []);
});

t.test('no input makes an FTS5 query fail', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  db.exec(`CREATE VIRTUAL TABLE f USING fts5(text, content = '', contentless_delete = 1,
           tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')`);
  db.prepare('INSERT INTO f (rowid, text) VALUES (1, ?)').run('He said "hello" to Zoë (and NEAR the café)');
  const search = db.prepare<[string], { rowid: number }>('SELECT rowid FROM f WHERE f MATCH ? ORDER BY rowid DESC');
  const nasty = [
    '"',
    '""',
    '"""',
    '*',
    'hello*',
    '^hello',
    'NEAR(hello zoe, 2)',
    'text:hello',
    '{text}:hello',
    'hello AND OR NOT',
    '(',
    ')',
    'a + b',
    "'; DROP TABLE f; --",
    '\u0000\u0001',
    'zoë',
    '🙂 hello',
    'x\u0301',
    '\u0301',
    'ab\ud800',
    'ℌ𝔢𝔩𝔩𝔬',
    'ﬁ',
  ];
  const alphabet = [
    '"',
    '*',
    '^',
    ':',
    '(',
    ')',
    '-',
    '+',
    ' ',
    'a',
    'é',
    'N',
    'E',
    'A',
    'R',
    '{',
    '}',
    '\\',
    '1',
    '🙂',
  ];
  for (let i = 0; i < 500; i++) {
    let s = '';
    for (let j = 0; j < 1 + (i % 17); j++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
    nasty.push(s);
  }
  let failures = 0;
  for (const q of nasty) {
    const parsed = parseQuery(q);
    if (!parsed.ok || parsed.query.terms.length === 0) continue;
    try {
      search.all(ftsQuery(parsed.query.terms));
    } catch (err) {
      failures++;
      t.fail(`${JSON.stringify(q)} -> ${ftsQuery(parsed.query.terms)}: ${(err as Error).message}`);
    }
  }
  t.equal(failures, 0, `${nasty.length} queries, none an FTS5 error`);
  t.same(search.all(ftsQuery(parse('"said hello" zoe').terms)), [{ rowid: 1 }], 'and they still find things');
  t.same(search.all(ftsQuery(parse('caf').terms)), [{ rowid: 1 }]);
});

t.test('snippets: text with match ranges, never markup', async (t) => {
  const s = makeSnippet('Meet at the <b>Café</b> Noir', parse('cafe noir ').terms);
  t.equal(s.text, 'Meet at the <b>Café</b> Noir', 'markup stays text');
  t.same(
    s.matches.map((m) => s.text.slice(m.start, m.end)),
    ['Café', 'Noir'],
  );
  const p = makeSnippet('the brown fox and the fox brown', parse('"brown fox"').terms);
  t.same(
    p.matches.map((m) => [m.start, m.end]),
    [[4, 13]],
    'a phrase is marked where its words are adjacent',
  );
  const pre = makeSnippet('deploying deployed', parse('deplo').terms);
  t.equal(pre.matches.length, 2, 'a prefix marks each word it starts');
  const long = `${'lorem ipsum '.repeat(40)}the needle here\nand ${'dolor sit '.repeat(40)}`;
  const cut = makeSnippet(long, parse('needle ').terms);
  t.ok(cut.text.startsWith('…') && cut.text.endsWith('…'), 'a long text is cut around the match');
  t.ok(cut.text.length <= 185);
  t.same(
    cut.matches.map((m) => cut.text.slice(m.start, m.end)),
    ['needle'],
  );
  t.notMatch(cut.text, /\n/, 'line breaks are shown as spaces');
  const none = makeSnippet('only operators matched this', []);
  t.same(none, { text: 'only operators matched this', matches: [] });
});
