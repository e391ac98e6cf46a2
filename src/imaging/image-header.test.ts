import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegBomb, pngBomb } from '../../test/helpers/pixel-bombs.js';
import { sharedData } from '../../test/helpers/reference.js';
import { declaredImageSize } from './image-header.js';

describe('declaredImageSize', () => {
  it('agrees with sharp on real photos (JPEG with EXIF/JFIF segments before the frame header, PNG)', async () => {
    for (const file of ['attributes/face_recognition_ageitgey/obama-480p.jpg', 'liveness/silent_face/live/image_T1.jpg', 'attributes/face_recognition_ageitgey/32bit.png']) {
      const bytes = readFileSync(sharedData(file));
      const meta = await sharp(bytes).metadata();
      expect(declaredImageSize(bytes), file).toEqual({ format: meta.format, width: meta.width, height: meta.height });
    }
  });

  it('reads progressive JPEGs (SOF2), and skips DHT (0xC4), which shares the SOF range', async () => {
    const progressive = await sharp({ create: { width: 37, height: 21, channels: 3, background: '#808080' } }).jpeg({ progressive: true }).toBuffer();
    expect(declaredImageSize(progressive)).toEqual({ format: 'jpeg', width: 37, height: 21 });
    // A DHT segment (length 4, two bytes of payload that would read as a huge size) before the frame header.
    const bomb = jpegBomb(640, 480);
    const withTable = new Uint8Array([0xff, 0xd8, 0xff, 0xc4, 0x00, 0x04, 0xff, 0xff, ...bomb.subarray(2)]);
    expect(declaredImageSize(withTable)).toEqual({ format: 'jpeg', width: 640, height: 480 });
  });

  it('reads bare headers that sharp calls corrupt', () => {
    expect(declaredImageSize(pngBomb(65535, 65535))).toEqual({ format: 'png', width: 65535, height: 65535 });
    expect(declaredImageSize(jpegBomb(65000, 1))).toEqual({ format: 'jpeg', width: 65000, height: 1 });
    // Fill bytes (0xFF) may precede a marker (ITU-T T.81 §B.1.1.2).
    const filled = jpegBomb(640, 480);
    expect(declaredImageSize(new Uint8Array([...filled.subarray(0, 2), 0xff, 0xff, ...filled.subarray(2)]))).toEqual({ format: 'jpeg', width: 640, height: 480 });
  });

  it('says nothing about other bytes, or headers cut short', async () => {
    const webp = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).webp().toBuffer();
    expect(declaredImageSize(webp)).toBeUndefined();
    expect(declaredImageSize(new TextEncoder().encode('<svg width="9" height="9"/>'))).toBeUndefined();
    expect(declaredImageSize(new Uint8Array(0))).toBeUndefined();
    expect(declaredImageSize(pngBomb(10, 10).subarray(0, 20))).toBeUndefined();
    expect(declaredImageSize(jpegBomb(10, 10).subarray(0, 8))).toBeUndefined();
    // A scan before any frame header, and a segment that is not a marker, end the walk.
    expect(declaredImageSize(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 1, 2, 3, 4, 5, 6]))).toBeUndefined();
    expect(declaredImageSize(new Uint8Array([0xff, 0xd8, 0x12, 0x34, 0x56]))).toBeUndefined();
  });
});
