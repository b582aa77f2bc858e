import { z } from 'zod';

/**
 * One emoji: a Unicode "RGI" emoji sequence (single emoji, skin tones, flags, keycaps, ZWJ sequences), checked with
 * the engine's own Unicode data (the `v` flag's \p{RGI_Emoji}), so new emoji arrive with Node's updates.
 */
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
/** Longer than any RGI sequence (the longest are about 35 UTF-16 units). */
const MAX_UNITS = 64;

/**
 * The emoji's fully-qualified form, or null when `s` is not one emoji. A symbol typed without its emoji variation
 * selector ("❤" rather than "❤️") is the same emoji: it gains the selector, so both count as one reaction.
 */
export function normalizeEmoji(s: string): string | null {
  if (s.length === 0 || s.length > MAX_UNITS) return null;
  const nfc = s.normalize('NFC');
  if (RGI_EMOJI.test(nfc)) return nfc;
  const qualified = `${nfc}\uFE0F`;
  return RGI_EMOJI.test(qualified) ? qualified : null;
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
