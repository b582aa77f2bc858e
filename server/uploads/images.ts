import sharp from 'sharp';
import { fail } from '../errors.js';
import type { ImageType } from '../store/store.js';

/** Recognises an image by its first bytes, never by its name or declared type. */
export function sniffImageType(head: Buffer): ImageType | null {
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.length >= 6 && (head.subarray(0, 6).toString('latin1') === 'GIF87a' || head.subarray(0, 6).toString('latin1') === 'GIF89a')) return 'image/gif';
  if (head.length >= 12 && head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

// Every upload is a new input, so libvips' operation cache would only hold on to memory that no later job reuses.
sharp.cache(false);

const SHARP_FORMAT: Record<ImageType, keyof sharp.FormatEnum> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

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

const unsupported = () =>
  fail('UNSUPPORTED_MEDIA_TYPE', { message: 'Only PNG, JPEG, GIF and WebP images are accepted (judged by their content)' });
const invalid = (why: string) => fail('INVALID_IMAGE', { message: `The image could not be read: ${why}` });

/**
 * Validates and re-encodes an uploaded image: the type comes from its bytes, the pixel count is bounded before
 * decoding (decompression bombs), the image is re-encoded without metadata (EXIF, GPS, comments) after applying
 * its orientation, and a thumbnail is made.
 */
export async function processImage(input: Buffer, maxPixels: number): Promise<ProcessedImage> {
  const mediaType = sniffImageType(input);
  if (!mediaType) throw unsupported();
  const animated = mediaType === 'image/gif' || mediaType === 'image/webp';
  const open = () => sharp(input, { limitInputPixels: maxPixels, failOn: 'warning', animated });
  let meta: sharp.Metadata;
  try {
    // Reads only the header: cheap even for a bomb.
    meta = await sharp(input, { limitInputPixels: false, animated }).metadata();
  } catch (err) {
    throw invalid((err as Error).message);
  }
  if (meta.format !== SHARP_FORMAT[mediaType] && !(mediaType === 'image/jpeg' && meta.format === 'jpeg')) throw unsupported();
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
    const encoder = open().rotate();
    const data = await (mediaType === 'image/jpeg'
      ? encoder.jpeg({ quality: 90 })
      : mediaType === 'image/png'
        ? encoder.png()
        : mediaType === 'image/gif'
          ? encoder.gif()
          : encoder.webp({ quality: 90 })
    ).toBuffer({ resolveWithObject: true });
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
