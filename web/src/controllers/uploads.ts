import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { MAX_ATTACHMENTS } from '../../../server/limits.js';
import { IMAGE_TYPES } from '../../../server/store/store.js';
import { ApiError, errorText, uploadFile, type UploadHandle } from '../api.js';
import { formatBytes } from '../format.js';
import type { PendingAttachment } from '../state/timeline.js';
import type { Attachment } from '../types.js';

/** An image chosen for the next message: uploading (with progress), uploaded, or refused (with the reason). */
export interface DraftImage {
  key: number;
  file: File;
  preview: string | null;
  status: 'uploading' | 'done' | 'failed';
  progress: number;
  upload?: Attachment;
  error?: string;
  /** Whether trying again may help (the network or the server failed, not the file). */
  retryable?: boolean;
  handle?: UploadHandle<{ upload: Attachment }>;
}

let nextKey = 1;

/** Files with a name (pasted images have none in some browsers). */
export function nameOf(file: File): string {
  return file.name || `image.${(file.type.split('/')[1] ?? 'png').replace('jpeg', 'jpg')}`;
}

const SUPPORTED = 'Share a PNG, JPEG, GIF or WebP image.';

/** Why an upload failed, as the end of a sentence that starts with the file name. */
export function uploadProblem(err: unknown): string {
  if (!(err instanceof ApiError)) return `could not be uploaded: ${errorText(err)}`;
  switch (err.code) {
    case 'PAYLOAD_TOO_LARGE': {
      const max = /(\d+) bytes/.exec(err.message);
      return `is too large to share${max ? `: images can be at most ${formatBytes(Number(max[1]))}` : ''}.`;
    }
    case 'IMAGE_TOO_LARGE':
      return 'has too many pixels to share. Try a smaller image.';
    case 'UNSUPPORTED_MEDIA_TYPE':
      return `is not a supported image. ${SUPPORTED}`;
    case 'INVALID_IMAGE':
    case 'EMPTY_FILE':
      return 'could not be read as an image. It may be damaged.';
    case 'NETWORK':
      return 'could not be uploaded: the connection to the server failed. Check your connection and retry.';
    default:
      return `could not be uploaded: ${err.message}`;
  }
}

/**
 * The images chosen for the next message of each room, uploaded as soon as they are chosen (one XHR each, for the
 * progress), and a message that waits for its uploads: `onReady(roomId)` is called when the last upload of a room
 * whose message waits has ended (the host sends it, or explains a failure).
 */
export class Uploads implements ReactiveController {
  private readonly byRoom = new Map<string, DraftImage[]>();
  /** Rooms whose message waits for its uploads to finish before it is sent. */
  private readonly waiting = new Set<string>();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly onReady: (roomId: string) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  of(roomId: string): readonly DraftImage[] {
    return this.byRoom.get(roomId) ?? [];
  }

  uploading(roomId: string): boolean {
    return this.of(roomId).some((i) => i.status === 'uploading');
  }

  failed(roomId: string): boolean {
    return this.of(roomId).some((i) => i.status === 'failed');
  }

  isWaiting(roomId: string): boolean {
    return this.waiting.has(roomId);
  }

  /** The room's message goes when its uploads end. */
  waitThenSend(roomId: string): void {
    this.waiting.add(roomId);
  }

  /** Adds files to the room's next message and starts uploading them; answers how many were left out (the limit). */
  add(roomId: string, files: File[]): number {
    const list = this.byRoom.get(roomId) ?? [];
    this.byRoom.set(roomId, list);
    let skipped = 0;
    for (const file of files) {
      if (list.length >= MAX_ATTACHMENTS) {
        skipped++;
        continue;
      }
      const item: DraftImage = { key: nextKey++, file, preview: null, status: 'uploading', progress: 0 };
      list.push(item);
      if (file.type && !(IMAGE_TYPES as readonly string[]).includes(file.type)) {
        item.status = 'failed';
        item.error = file.type.startsWith('image/')
          ? `is not a supported image. ${SUPPORTED}`
          : `is not an image. ${SUPPORTED}`;
        continue;
      }
      item.preview = URL.createObjectURL(file);
      this.start(roomId, item);
    }
    this.host.requestUpdate();
    return skipped;
  }

  start(roomId: string, item: DraftImage): void {
    item.status = 'uploading';
    item.progress = 0;
    item.error = undefined;
    const handle = uploadFile<{ upload: Attachment }>(
      `/api/rooms/${roomId}/uploads`,
      item.file,
      nameOf(item.file),
      (fraction) => {
        item.progress = fraction;
        this.host.requestUpdate();
      },
    );
    item.handle = handle;
    handle.done.then(
      ({ upload }) => {
        if (item.handle !== handle) return;
        item.status = 'done';
        item.upload = upload;
        this.settled(roomId);
      },
      (err) => {
        if (item.handle !== handle || (err instanceof ApiError && err.code === 'ABORTED')) return;
        item.status = 'failed';
        item.error = uploadProblem(err);
        item.retryable = !(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 429;
        this.settled(roomId);
      },
    );
    this.host.requestUpdate();
  }

  remove(roomId: string, item: DraftImage): void {
    const handle = item.handle;
    item.handle = undefined;
    handle?.abort();
    if (item.preview) URL.revokeObjectURL(item.preview);
    const rest = this.of(roomId).filter((i) => i !== item);
    if (rest.length) this.byRoom.set(roomId, rest);
    else this.byRoom.delete(roomId);
    this.settled(roomId);
  }

  /** The uploaded images of the room's next message, handed over to be sent (their previews go with them). */
  take(roomId: string): PendingAttachment[] {
    const images = this.of(roomId);
    this.byRoom.delete(roomId);
    this.waiting.delete(roomId);
    this.host.requestUpdate();
    return images.filter((i) => i.upload).map((i) => ({ upload: i.upload!, preview: i.preview }));
  }

  /** A waiting message whose uploads ended goes now (or, when one failed, stays with its text). */
  private settled(roomId: string): void {
    if (this.waiting.has(roomId) && !this.uploading(roomId)) {
      if (this.failed(roomId)) this.waiting.delete(roomId);
      this.onReady(roomId);
    }
    this.host.requestUpdate();
  }
}
