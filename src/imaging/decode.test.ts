import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ISSUE_13_BOMBS, jpegBomb, pngBomb } from '../../test/helpers/pixel-bombs.js';
import { sharedData } from '../../test/helpers/reference.js';
import { checkDeclaredPixels, decodeImage, encodeJpeg, isSrgbProfile, JPEG_PNG_WEBP } from './decode.js';

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

  describe('embedded ICC profiles', () => {
    // A saturated mid-tone, where Display P3 and sRGB differ by tens of grey levels.
    const pixels = Buffer.alloc(16 * 16 * 3);
    for (let i = 0; i < pixels.length; i += 3) pixels.set([200, 100, 50], i);
    const tagged = (profile: 'srgb' | 'p3' | undefined) => {
      const png = sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } });
      return (profile ? png.withIccProfile(profile) : png).png().toBuffer();
    };
    const profileOf = async (bytes: Buffer) => (await sharp(bytes).metadata()).icc;

    it('tells an sRGB profile from others and from bytes that are no profile', async () => {
      expect(isSrgbProfile(await profileOf(await tagged('srgb')))).toBe(true);
      expect(isSrgbProfile(await profileOf(await tagged('p3')))).toBe(false);
      expect(isSrgbProfile(undefined)).toBe(false);
      expect(isSrgbProfile(new Uint8Array(200).fill(7))).toBe(false);
    });

    it('keeps sRGB-tagged pixels as they are and converts other profiles to sRGB', async () => {
      const plain = await decodeImage(await tagged(undefined), LIMITS);
      const srgb = await decodeImage(await tagged('srgb'), LIMITS);
      const p3 = await decodeImage(await tagged('p3'), LIMITS);
      expect(Array.from(plain.data.subarray(0, 3))).toEqual([200, 100, 50]);
      expect(srgb.data).toEqual(plain.data);
      // The P3 file holds the same colour in P3 numbers (sharp converted it on the way in); decoding brings it back.
      const stored = await sharp(await tagged('p3')).keepIccProfile().raw().toBuffer();
      expect(Math.abs(stored[0]! - 200) + Math.abs(stored[1]! - 100) + Math.abs(stored[2]! - 50)).toBeGreaterThan(10);
      for (const [i, value] of [200, 100, 50].entries()) expect(Math.abs(p3.data[i]! - value)).toBeLessThanOrEqual(1);
    });
  });

  it('rejects other formats, garbage and truncated files as UNSUPPORTED_FILE_TYPE', async () => {
    await expect(decodeImage(await encoded('webp'), LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', message: /unsupported image type webp/ });
    await expect(decodeImage(await encoded('gif'), LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
    await expect(decodeImage(new TextEncoder().encode('%PDF-1.4 not an image'), LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
    const jpeg = readFileSync(sharedData('attributes/face_recognition_ageitgey/obama-480p.jpg'));
    await expect(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)), LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', message: /corrupt jpeg/ });
  });

  it('decodes WebP only for callers that list it (matchFace, verifyVideo, sessions); the default stays JPEG/PNG (HyperVerge)', async () => {
    const webp = await encoded('webp');
    await expect(decodeImage(webp, { ...LIMITS, formats: JPEG_PNG_WEBP })).resolves.toMatchObject({ width: 8, height: 6, format: 'webp' });
    await expect(decodeImage(webp, LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', message: 'unsupported image type webp: expected JPEG or PNG' });
    await expect(decodeImage(await encoded('gif'), { ...LIMITS, formats: JPEG_PNG_WEBP })).rejects.toMatchObject({
      code: 'UNSUPPORTED_FILE_TYPE',
      message: 'unsupported image type gif: expected JPEG, PNG or WebP',
    });
    // A real photo, re-encoded as WebP, decodes to the same size as the JPEG it came from.
    const jpeg = readFileSync(sharedData('attributes/face_recognition_ageitgey/obama-480p.jpg'));
    const photo = await decodeImage(new Uint8Array(await sharp(jpeg).webp({ quality: 90 }).toBuffer()), { ...LIMITS, formats: JPEG_PNG_WEBP });
    const original = await decodeImage(jpeg, LIMITS);
    expect([photo.width, photo.height, photo.format]).toEqual([original.width, original.height, 'webp']);
  });

  it('refuses images over the pixel limit from the header, before decoding', async () => {
    await expect(decodeImage(await encoded('png', 100, 100), { maxPixels: 9_999 })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: 'image is 100×100 = 10000 pixels, over the limit of 9999',
    });
  });

  describe('pixel bombs (issue 13): IMAGE_TOO_LARGE whatever the format, never UNSUPPORTED_FILE_TYPE', () => {
    const MAX_IMAGE_PIXELS = 25_000_000; // README "Configuration": the default
    for (const bomb of ISSUE_13_BOMBS) {
      it(bomb.name, async () => {
        const refusal = { code: 'IMAGE_TOO_LARGE', status: 413 };
        await expect(decodeImage(bomb.bytes, { maxPixels: MAX_IMAGE_PIXELS })).rejects.toMatchObject(refusal);
        await expect(decodeImage(bomb.bytes, { maxPixels: MAX_IMAGE_PIXELS, formats: JPEG_PNG_WEBP })).rejects.toMatchObject({
          ...refusal,
          message: `image is ${bomb.width}×${bomb.height} = ${bomb.width * bomb.height} pixels, over the limit of ${MAX_IMAGE_PIXELS}`,
        });
        await expect(checkDeclaredPixels(bomb.bytes, MAX_IMAGE_PIXELS)).rejects.toMatchObject(refusal);
      });
    }

    it('the same headers within the limit are judged on their format and content as before', async () => {
      await expect(decodeImage(pngBomb(100, 100), LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
      await expect(decodeImage(jpegBomb(100, 100), LIMITS)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
      await expect(checkDeclaredPixels(pngBomb(100, 100), LIMITS.maxPixels)).resolves.toBeUndefined();
      // checkDeclaredPixels leaves formats to others: bytes that are no image pass it.
      await expect(checkDeclaredPixels(new TextEncoder().encode('%PDF-1.4 not an image'), LIMITS.maxPixels)).resolves.toBeUndefined();
      await expect(checkDeclaredPixels(new Uint8Array(0), LIMITS.maxPixels)).resolves.toBeUndefined();
      await expect(checkDeclaredPixels(await encoded('png', 100, 100), 9_999)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
    });
  });

  it('round-trips through encodeJpeg', async () => {
    const image = await decodeImage(await encoded('png', 16, 16), LIMITS);
    const again = await decodeImage(await encodeJpeg(image), LIMITS);
    expect(again).toMatchObject({ width: 16, height: 16, format: 'jpeg' });
    expect(Math.abs(again.data[0]! - 128)).toBeLessThanOrEqual(2);
  });
});
