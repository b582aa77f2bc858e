/**
 * Limits the API enforces and the web client shows (the client imports this module, so it imports nothing).
 */
export const MESSAGE_MAX_CHARS = 4000;
export const MAX_ATTACHMENTS = 4;
