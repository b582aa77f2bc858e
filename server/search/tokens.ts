/**
 * Words as the search index sees them, shared by both stores, the query parser and the snippet marker (browser-safe,
 * no imports). A token is a run of letters, digits and private-use characters, like SQLite FTS5's unicode61 tokenizer
 * (categories L*, N*, Co); it is folded to lower case without diacritics (remove_diacritics), so "Café" is "cafe".
 */

const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;
const MARKS = /\p{M}/gu;

export interface Token {
  /** Its folded form. */
  text: string;
  /** Where it is in the original string (UTF-16 offsets, end exclusive). */
  start: number;
  end: number;
}

/** Lower case, diacritics removed. */
export function fold(word: string): string {
  return word.normalize('NFD').replace(MARKS, '').toLowerCase().normalize('NFC');
}

/** The tokens of `text`, folded, with their places. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const folded = fold(m[0]);
    // A run of combining marks alone folds to nothing; it is no word.
    if (folded) out.push({ text: folded, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Just the folded words of `text`. */
export function words(text: string): string[] {
  return tokenize(text).map((t) => t.text);
}
