import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../test/helpers/reference.js';
import { decodeImage, encodeJpeg } from './decode.js';

const LIMITS = { maxPixels: 40_000_000 };

async function encoded(format: 'png' | 'jpeg' | 'webp' | 'gif', width = 8, height = 6): Promise<Uint8Array> {
  const pixels = Buffer.alloc(width * height * 3, 128);
  return new Uint8Array(await sharp(pixels, { raw: { width, height, channels: 3 } }).toFormat(format).toBuffer());
}

describe('decodeImage', () => {
  it('decodes JPEG and PNG (sniffed from bytes) to 8-bit RGB', async () => {
    for (const format of ['jpeg', 'png'] as const) {
      const image = await decodeImage(await encoded(format), LIMITS);
      expect(image).toMatchObject({ width: 8, height: 6, format });
      expect(image.data.length).toBe(8 * 6 * 3);
    }
  });

  it('decodes a 32-bit RGBA PNG to RGB', async () => {
    const image = await decodeImage(readFileSync(sharedData('attributes/face_recognition_ageitgey/32bit.png')), LIMITS);
    expect(image.data.length).toBe(image.width * image.height * 3);
  });

  it('applies EXIF orientation (silent_face images carry orientation 6)', async () => {
    const bytes = readFileSync(sharedData('liveness/silent_face/live/image_T1.jpg'));
    const meta = await sharp(bytes).metadata();
    expect(meta.orientation).toBe(6);
    const image = await decodeImage(bytes, LIMITS);
    expect([image.width, image.height]).toEqual([meta.height, meta.width]);
  });

  it('rejects other formats, garbage and truncated files as UNSUPPORTED_FILE_TYPE', async () => {
    await expect(decodeImage(await encoded('webp'), LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', message: /unsupported image type webp/ });
    await expect(decodeImage(await encoded('gif'), LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
    await expect(decodeImage(new TextEncoder().encode('%PDF-1.4 not an image'), LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
    const jpeg = readFileSync(sharedData('attributes/face_recognition_ageitgey/obama-480p.jpg'));
    await expect(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)), LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', message: /corrupt jpeg/ });
  });

  it('refuses images over the pixel limit from the header, before decoding', async () => {
    await expect(decodeImage(await encoded('png', 100, 100), { maxPixels: 9_999 })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: 'image is 100×100 = 10000 pixels, over the limit of 9999',
    });
  });

  it('round-trips through encodeJpeg', async () => {
    const image = await decodeImage(await encoded('png', 16, 16), LIMITS);
    const again = await decodeImage(await encodeJpeg(image), LIMITS);
    expect(again).toMatchObject({ width: 16, height: 16, format: 'jpeg' });
    expect(Math.abs(again.data[0]! - 128)).toBeLessThanOrEqual(2);
  });
});
