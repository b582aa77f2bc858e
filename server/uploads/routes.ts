import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fail, AppError } from '../errors.js';
import { newId } from '../ids.js';
import { me } from '../http/current-user.js';
import { authorizeRoom } from '../rooms/access.js';
import { AttachmentSchema, Id, RoomParams, errors } from '../schemas.js';
import { IMAGE_TYPES } from '../store/store.js';
import { thumbnailKey } from './blobs.js';
import { processImage, THUMBNAIL_TYPE, type ProcessedImage } from './images.js';
import { UploadQuota } from './quota.js';

/** The bytes of an image are only ever shown as an image: no sniffing, no scripts, no framing by other sites. */
const IMAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
  'cross-origin-resource-policy': 'same-origin',
  // An upload never changes (a new image is a new id); private because only members may see it.
  'cache-control': 'private, max-age=31536000, immutable',
};

/** Image jobs are short (seconds at most), so a retry soon after has a fair chance. */
const busy = () => fail('IMAGES_BUSY', { headers: { 'retry-after': '2' } });

const tooLarge = (max: number) =>
  fail('PAYLOAD_TOO_LARGE', { message: `Uploads are limited to ${max} bytes`, details: { maxBytes: max } });

export default async function uploadRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { store, config } = app;
  const max = config.uploads.maxBytes;
  const quota = new UploadQuota(store, config.uploads.quotaBytes, config.uploads.retentionMs);
  await app.register(multipart, { limits: { fileSize: max, files: 1, fields: 0, parts: 2, headerPairs: 100 } });
  const tags = ['uploads'];

  r.post(
    '/api/rooms/:roomId/uploads',
    {
      schema: {
        tags,
        summary:
          'Upload one image (multipart field "file"); attach it with POST /api/rooms/{roomId}/messages { attachments: [id] }',
        description:
          'PNG, JPEG, GIF or WebP, judged by content. Metadata (EXIF, GPS) is removed and a thumbnail made. ' +
          'curl: `curl -F file=@cat.png -H "Authorization: Bearer $TOKEN" .../uploads`',
        params: RoomParams,
        consumes: ['multipart/form-data'],
        response: { 201: z.object({ upload: AttachmentSchema }), ...errors(400, 401, 403, 404, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const user = me(request);
      const { room } = await authorizeRoom(store, request.params.roomId, user.id, 'post');
      if (!request.isMultipart())
        throw fail('UNSUPPORTED_MEDIA_TYPE', {
          message: 'Send the image as multipart/form-data in a field named "file"',
        });
      // Refuse an announced oversize body before reading any of it (multipart framing adds a little).
      if (Number(request.headers['content-length'] ?? 0) > max + 64 * 1024) throw tooLarge(max);
      // Refusals that cost nothing come before reading the body.
      await quota.ensureRoom(user.id);
      if (app.imageWork.full) throw busy();
      let input: Buffer;
      try {
        const part = await request.file();
        if (!part) throw fail('NO_FILE', { details: [{ path: 'body.file', message: 'is required' }] });
        const chunks: Buffer[] = [];
        // Streamed: at most `max` bytes are ever held; busboy stops at the limit and marks the stream truncated.
        for await (const chunk of part.file) chunks.push(chunk as Buffer);
        if (part.file.truncated) throw tooLarge(max);
        input = Buffer.concat(chunks);
      } catch (err) {
        if (err instanceof AppError) throw err;
        const code = (err as { code?: string }).code;
        if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(max);
        if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
          throw fail('ONE_FILE');
        if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE')
          throw fail('UNSUPPORTED_MEDIA_TYPE', { message: 'Send multipart/form-data' });
        throw fail('BAD_MULTIPART', { message: `Malformed multipart body: ${(err as Error).message}` });
      }
      if (input.length === 0) throw fail('EMPTY_FILE', { details: [{ path: 'body.file', message: 'is empty' }] });
      const slot = app.imageWork.enter();
      if (!slot) throw busy();
      const release = await slot;
      let image: ProcessedImage;
      try {
        image = await processImage(input, config.uploads.maxPixels);
      } finally {
        release();
      }
      const id = newId();
      await quota.admit(user.id, id, image.data.length + image.thumbnail.length);
      // Bytes first, then the row: a failure on the way removes what was written, so nothing partial remains.
      try {
        await store.blobs.put(id, image.data, image.mediaType);
        await store.blobs.put(thumbnailKey(id), image.thumbnail, THUMBNAIL_TYPE);
        const { mediaType, width, height } = image;
        const size = image.data.length;
        const upload = await store.createUpload({
          id,
          ownerId: user.id,
          roomId: room.id,
          mediaType,
          size,
          width,
          height,
        });
        const { ownerId: _o, roomId: _r, messageSeq: _m, createdAt: _c, ...attachment } = upload;
        return reply.code(201).send({ upload: attachment });
      } catch (err) {
        await Promise.allSettled([store.blobs.delete(id), store.blobs.delete(thumbnailKey(id))]);
        quota.forget(user.id, id);
        throw err;
      }
    },
  );

  const serve =
    (variant: 'full' | 'thumbnail') =>
    async (
      request: { params: { uploadId: string }; headers: Record<string, unknown>; user: unknown },
      reply: import('fastify').FastifyReply,
    ) => {
      const user = me(request as import('fastify').FastifyRequest);
      const upload = await store.getUpload(request.params.uploadId);
      if (!upload) throw fail('UPLOAD_NOT_FOUND');
      // Members of the room see images in its messages; an unused upload is its uploader's alone.
      try {
        await authorizeRoom(store, upload.roomId, user.id, 'post');
      } catch (err) {
        // Refused (not a member, room gone) reads as missing; a store failure stays what it is.
        if (err instanceof AppError) throw fail('UPLOAD_NOT_FOUND');
        throw err;
      }
      if (upload.messageSeq === null && upload.ownerId !== user.id) throw fail('UPLOAD_NOT_FOUND');
      const etag = `"${upload.id}${variant === 'thumbnail' ? '.t' : ''}"`;
      reply.headers({ ...IMAGE_HEADERS, etag });
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      const data = await store.blobs.get(variant === 'full' ? upload.id : thumbnailKey(upload.id));
      if (!data) throw fail('UPLOAD_NOT_FOUND');
      reply.header('content-type', variant === 'full' ? upload.mediaType : THUMBNAIL_TYPE);
      reply.header(
        'content-disposition',
        `inline; filename="${upload.id}.${(variant === 'full' ? upload.mediaType : THUMBNAIL_TYPE).split('/')[1]}"`,
      );
      return reply.send(data);
    };

  const UploadParams = z.object({ uploadId: Id });
  r.get(
    '/api/uploads/:uploadId',
    {
      schema: {
        tags,
        summary: 'The image (members of its room)',
        params: UploadParams,
        produces: [...IMAGE_TYPES],
        response: errors(400, 401, 404),
      },
    },
    serve('full'),
  );
  r.get(
    '/api/uploads/:uploadId/thumbnail',
    {
      schema: {
        tags,
        summary: 'A thumbnail of the image, WebP, at most 320x320',
        params: UploadParams,
        produces: ['image/webp'],
        response: errors(400, 401, 404),
      },
    },
    serve('thumbnail'),
  );
}
