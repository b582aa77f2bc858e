import type MarkdownIt from 'markdown-it';
import { matchToken, mentionTokens } from '../../server/messages/mentions.js';

/**
 * Mentions in rendered Markdown: which names of a message are mentions (`name` lower-cased, without `@`) and whether
 * each is of the reader. Only these are marked: an `@word` that names no member stays text, as on the server.
 */
export type MentionMarks = ReadonlyMap<string, 'me' | 'other'>;

interface Env {
  mentions?: MentionMarks;
}

/**
 * A core rule after inline parsing: `@name` in text tokens (never in code, which markdown-it keeps in code tokens,
 * nor in link text) becomes a `mention` token, rendered as a span. The span's only content is the name, which is
 * letters, digits and `_ . -` (escaped anyway); its class is one of two constants. So the output stays as safe as
 * markdown.ts requires.
 */
export function mentionPlugin(md: MarkdownIt): void {
  md.core.ruler.after('inline', 'mentions', (state) => {
    const marks = (state.env as Env).mentions;
    if (!marks || marks.size === 0) return;
    for (const block of state.tokens) {
      if (block.type !== 'inline' || !block.children) continue;
      const out: typeof block.children = [];
      let inLink = 0;
      for (const tok of block.children) {
        if (tok.type === 'link_open') inLink++;
        if (tok.type === 'link_close') inLink--;
        if (tok.type !== 'text' || inLink > 0 || !tok.content.includes('@')) {
          out.push(tok);
          continue;
        }
        let last = 0;
        for (const found of mentionTokens(tok.content)) {
          const hit = matchToken(found, (name) => marks.has(name));
          if (!hit) continue;
          if (found.start > last) out.push(textToken(state, tok.content.slice(last, found.start)));
          const span = new state.Token('mention', 'span', 0);
          span.content = tok.content.slice(found.start, hit.end);
          span.meta = { me: marks.get(hit.name) === 'me' };
          out.push(span);
          last = hit.end;
        }
        if (last === 0) out.push(tok);
        else if (last < tok.content.length) out.push(textToken(state, tok.content.slice(last)));
      }
      block.children = out;
    }
  });
  md.renderer.rules.mention = (tokens, idx) => {
    const tok = tokens[idx]!;
    const cls = (tok.meta as { me: boolean }).me ? 'mention me' : 'mention';
    return `<span class="${cls}" data-testid="mention">${md.utils.escapeHtml(tok.content)}</span>`;
  };
}

function textToken(
  state: { Token: new (type: string, tag: string, nesting: -1 | 0 | 1) => { content: string } },
  s: string,
) {
  const t = new state.Token('text', '', 0);
  t.content = s;
  return t as never;
}
