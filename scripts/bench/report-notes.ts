/**
 * The hand-written part of BENCHMARKS.md: what each pass of work measured and changed, with its own commands and
 * runs. A full run rewrites the file from its results; the part between these markers is carried over from the file
 * it replaces, so a new run does not erase the record of the ones before it.
 */
export const NOTES_BEGIN = '<!-- notes: kept by npm run bench -->';
export const NOTES_END = '<!-- notes: end -->';

/** The notes block of `existing` (markers included), or null when it has none. */
export function notesOf(existing: string | null): string | null {
  if (!existing) return null;
  const begin = existing.indexOf(NOTES_BEGIN);
  const end = existing.indexOf(NOTES_END, begin + NOTES_BEGIN.length);
  if (begin < 0 || end < 0) return null;
  return existing.slice(begin, end + NOTES_END.length);
}

/**
 * `generated` with the notes of `existing` placed after its opening paragraphs (before its first section), so a
 * reader meets the summaries before the tables of the latest run.
 */
export function withNotes(generated: string, existing: string | null): string {
  const notes = notesOf(existing);
  if (!notes) return generated;
  const firstSection = generated.indexOf('\n## ');
  if (firstSection < 0) return `${generated.trimEnd()}\n\n${notes}\n`;
  return `${generated.slice(0, firstSection + 1)}${notes}\n\n${generated.slice(firstSection + 1)}`;
}
