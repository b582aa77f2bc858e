import sharp from 'sharp';
import { fail } from '../errors.js';
import { IMAGE_TYPES, type ImageType } from '../store/store.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const latin1 = (head: Buffer, from: number, to: number) => head.subarray(from, to).toString('latin1');

interface Format {
  /** How people call it, for messages. */
  name: string;
  /** Whether the first bytes are this format's. */
  magic: (head: Buffer) => boolean;
  /** sharp's name for it (what metadata() reports). */
  sharp: keyof sharp.FormatEnum;
  animated: boolean;
  /** Re-encodes in the same format. */
  encode: (image: sharp.Sharp) => sharp.Sharp;
}

/** Every accepted type (IMAGE_TYPES, which the client shares) and how the server handles it. */
const FORMATS: Record<ImageType, Format> = {
  'image/png': {
    name: 'PNG',
    magic: (head) => head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE),
    sharp: 'png',
    animated: false,
    encode: (image) => image.png(),
  },
  'image/jpeg': {
    name: 'JPEG',
    magic: (head) => head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff,
    sharp: 'jpeg',
    animated: false,
    encode: (image) => image.jpeg({ quality: 90 }),
  },
  'image/gif': {
    name: 'GIF',
    magic: (head) => head.length >= 6 && (latin1(head, 0, 6) === 'GIF87a' || latin1(head, 0, 6) === 'GIF89a'),
    sharp: 'gif',
    animated: true,
    encode: (image) => image.gif(),
  },
  'image/webp': {
    name: 'WebP',
    magic: (head) => head.length >= 12 && latin1(head, 0, 4) === 'RIFF' && latin1(head, 8, 12) === 'WEBP',
    sharp: 'webp',
    animated: true,
    encode: (image) => image.webp({ quality: 90 }),
  },
};

/** Recognises an image by its first bytes, never by its name or declared type. */
export function sniffImageType(head: Buffer): ImageType | null {
  return IMAGE_TYPES.find((type) => FORMATS[type].magic(head)) ?? null;
}

// Every upload is a new input, so libvips' operation cache would only hold on to memory that no later job reuses.
sharp.cache(false);

export interface ProcessedImage {
  mediaType: ImageType;
  data: Buffer;
  thumbnail: Buffer;
  width: number;
  height: number;
}

export const THUMBNAIL_TYPE = 'image/webp';
const THUMBNAIL_BOX = 320;

/** Bytes of one sample by libvips band format. */
const SAMPLE_BYTES: Record<string, number> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
  complex: 8,
  double: 8,
  dpcomplex: 16,
};

/**
 * The pixels an image counts as against the limit: every frame, and an image whose decoded pixels are larger than
 * 8-bit RGBA (16-bit samples, say) counts as more, so that the limit bounds the decoded size and with it the memory.
 */
type Dimensions = Pick<sharp.Metadata, 'width' | 'height' | 'pageHeight' | 'pages' | 'channels' | 'depth'>;
export function weighedPixels(meta: Dimensions): number {
  const frameHeight = meta.pageHeight ?? meta.height ?? 0;
  const pixels = (meta.width ?? 0) * frameHeight * Math.max(1, meta.pages ?? 1);
  const bytesPerPixel = (meta.channels ?? 4) * (SAMPLE_BYTES[meta.depth ?? 'uchar'] ?? 1);
  return Math.ceil(pixels * Math.max(1, bytesPerPixel / 4));
}

const NAMES = IMAGE_TYPES.map((type) => FORMATS[type].name);
const unsupported = () =>
  fail('UNSUPPORTED_MEDIA_TYPE', {
    message: `Only ${NAMES.slice(0, -1).join(', ')} and ${NAMES.at(-1)} images are accepted (judged by their content)`,
  });
const invalid = (why: string) => fail('INVALID_IMAGE', { message: `The image could not be read: ${why}` });

/**
 * Validates and re-encodes an uploaded image: the type comes from its bytes, the pixel count is bounded before
 * decoding (decompression bombs), the image is re-encoded without metadata (EXIF, GPS, comments) after applying
 * its orientation, and a thumbnail is made.
 */
export async function processImage(input: Buffer, maxPixels: number): Promise<ProcessedImage> {
  const mediaType = sniffImageType(input);
  if (!mediaType) throw unsupported();
  const format = FORMATS[mediaType];
  const animated = format.animated;
  const open = () => sharp(input, { limitInputPixels: maxPixels, failOn: 'warning', animated });
  let meta: sharp.Metadata;
  try {
    // Reads only the header: cheap even for a bomb.
    meta = await sharp(input, { limitInputPixels: false, animated }).metadata();
  } catch (err) {
    throw invalid((err as Error).message);
  }
  if (meta.format !== format.sharp) throw unsupported();
  const frameHeight = meta.pageHeight ?? meta.height ?? 0;
  if (!meta.width || !frameHeight) throw invalid('no dimensions');
  const pixels = weighedPixels(meta);
  if (pixels > maxPixels) {
    const frames = (meta.pages ?? 1) > 1 ? ` x ${meta.pages} frames` : '';
    const deep = (SAMPLE_BYTES[meta.depth ?? 'uchar'] ?? 1) > 1 ? `, ${meta.depth} samples: ${pixels} pixels` : '';
    throw fail('IMAGE_TOO_LARGE', {
      message: `The image has too many pixels (${meta.width}x${frameHeight}${frames}${deep}; at most ${maxPixels})`,
    });
  }
  try {
    // sharp writes no metadata unless asked (withMetadata), so re-encoding strips EXIF and GPS.
    const data = await format.encode(open().rotate()).toBuffer({ resolveWithObject: true });
    const thumbnail = await sharp(input, { limitInputPixels: maxPixels, failOn: 'warning' })
      .rotate()
      .resize(THUMBNAIL_BOX, THUMBNAIL_BOX, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
    const width = data.info.width;
    const height = data.info.pageHeight ?? data.info.height;
    return { mediaType, data: data.data, thumbnail, width, height };
  } catch (err) {
    throw invalid((err as Error).message);
  }
}
