/**
 * Limits the API enforces and the web client shows (the client imports this module, so it imports nothing).
 */
export const MESSAGE_MAX_CHARS = 4000;
export const MAX_ATTACHMENTS = 4;
/** Public rooms listed at once: GET /api/rooms includes the first page, /api/rooms/directory pages on. */
export const DIRECTORY_FIRST_PAGE = 50;
export const DIRECTORY_MAX_PAGE = 200;
/** Distinct emoji one message can carry, users listed per emoji, and pins per room. */
export const MAX_REACTION_EMOJI = 20;
export const REACTION_USERS_SHOWN = 10;
export const MAX_PINS = 50;

/** A room's members come a page at a time: a 10,000-member room's whole list was 3.1 MB and a 120-250 ms turn. */
export const MEMBERS_FIRST_PAGE = 500;
export const MEMBERS_MAX_PAGE = 1000;
/** People a message's receipts name in each list (with counts of all): the whole lists of a big room are megabytes. */
export const RECEIPTS_LIST = 100;
export const RECEIPTS_MAX_LIST = 1000;
