import { z } from 'zod';

export const DISPLAY_NAME_MAX_CHARS = 64;

/** A ZWJ between two pictographs joins an emoji sequence (a family, a flag); those stay allowed. */
const EMOJI_ZWJ = /(?<=\p{Extended_Pictographic}\uFE0F?)\u200D(?=\p{Extended_Pictographic})/gu;

/**
 * What a display name may not contain, each with how the message names it: characters that are invisible, join or
 * reorder the text around them (a name that shows as someone else's, or that turns the line it is on backwards).
 */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/[\p{Cc}]/u, 'control characters'],
  [/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u, 'text-direction characters'],
  [/[\u200B-\u200D\u2060\uFEFF]/u, 'zero-width characters'],
  [/[\p{Zl}\p{Zp}]/u, 'line breaks'],
  // Other format characters (soft hyphen, invisible operators, tags...) and letters that render as blank space.
  [/[\p{Cf}\u115F\u1160\u3164\uFFA0\u2800]/u, 'invisible characters'],
  [/\p{M}{5,}/u, 'more than 4 combining marks on one character'],
];

function codePoint(ch: string): string {
  return 'U+' + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * A display name as shown to others: NFC, runs of spaces collapsed to one, trimmed; 1 to 64 characters. Invisible,
 * zero-width and direction-changing characters are refused with the one found named, not silently removed.
 */
export const DisplayName = z
  .string()
  .max(4 * DISPLAY_NAME_MAX_CHARS, `display name must be at most ${DISPLAY_NAME_MAX_CHARS} characters`)
  .transform((raw, ctx) => {
    const name = raw.normalize('NFC');
    const scanned = name.replace(EMOJI_ZWJ, '');
    for (const [pattern, what] of FORBIDDEN) {
      const m = pattern.exec(scanned);
      if (m) {
        const shown = what.startsWith('more than') ? '' : ` (${codePoint(m[0])})`;
        ctx.addIssue({ code: 'custom', message: `display name may not contain ${what}${shown}` });
        return z.NEVER;
      }
    }
    const clean = name.replace(/\p{Zs}+/gu, ' ').trim();
    if (!clean) {
      ctx.addIssue({ code: 'custom', message: 'display name may not be blank' });
      return z.NEVER;
    }
    if ([...clean].length > DISPLAY_NAME_MAX_CHARS) {
      ctx.addIssue({ code: 'custom', message: `display name must be at most ${DISPLAY_NAME_MAX_CHARS} characters` });
      return z.NEVER;
    }
    return clean;
  });
