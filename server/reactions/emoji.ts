import { z } from 'zod';

/**
 * One emoji: a Unicode "RGI" emoji sequence (single emoji, skin tones, flags, keycaps, ZWJ sequences), checked with
 * the engine's own Unicode data (the `v` flag's \p{RGI_Emoji}), so new emoji arrive with Node's updates.
 */
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
/** Longer than any RGI sequence (the longest are about 35 UTF-16 units). */
const MAX_UNITS = 64;

/**
 * The emoji's RGI form, or null when `s` is not one emoji. Variation selectors are where clients differ: a symbol
 * typed without its emoji selector ("❤" for "❤️") gains it, and one that needs none ("👍\uFE0F", as some pickers
 * send it) loses it, so each spelling counts as the same reaction.
 */
export function normalizeEmoji(s: string): string | null {
  if (s.length === 0 || s.length > MAX_UNITS) return null;
  const nfc = s.normalize('NFC');
  if (RGI_EMOJI.test(nfc)) return nfc;
  const bare = nfc.replace(/\uFE0F/g, '');
  const [first = '', ...rest] = [...bare];
  for (const candidate of [bare, `${bare}\uFE0F`, `${first}\uFE0F${rest.join('')}`]) {
    if (RGI_EMOJI.test(candidate)) return candidate;
  }
  return null;
}

export const Emoji = z
  .string()
  .transform((s, ctx) => {
    const emoji = normalizeEmoji(s);
    if (emoji === null) {
      ctx.addIssue({ code: 'custom', message: 'must be one emoji (URL-encoded), such as %F0%9F%91%8D for 👍' });
      return z.NEVER;
    }
    return emoji;
  })
  .describe('one emoji, URL-encoded');
