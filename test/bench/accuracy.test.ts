/** The accuracy bench's label parsing (docs/bench-data-format.md): pure functions, no models. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { attackType, attributeExpectations, readCsv } from '../../bench/accuracy.js';

describe('accuracy bench labels', () => {
  it('infers the attack type from the evidence of ../shared/data/labels/liveness.csv, or takes the column', () => {
    expect(attackType(undefined, 'F=fake per README/test.py; print attack (photo); EXIF orientation=6')).toBe('print');
    expect(attackType(undefined, 'F=fake; replay on tablet screen; EXIF orientation=6')).toBe('replay');
    expect(attackType(undefined, 'face crop frame; from videos/fake.mp4 (README: fake = real video replayed on a phone)')).toBe('replay');
    expect(attackType(undefined, 'silicone')).toBe('unknown');
    expect(attackType('mask', 'print')).toBe('mask');
  });

  it('maps attribute labels to expected checks and face counts', () => {
    expect(attributeExpectations(['multi_face_2', 'obama+biden'])).toEqual({ checks: { multipleFaces: true }, faces: 2 });
    expect(attributeExpectations(['1_face', 'female', 'age_10_19'])).toEqual({ checks: { multipleFaces: false }, faces: 1 });
    expect(attributeExpectations(['no_face_blank'])).toEqual({ checks: {}, faces: 0 });
    expect(attributeExpectations(['quality_low_blurry'])).toEqual({ checks: { blur: true, lowQuality: true } });
    expect(attributeExpectations(['emotion_happy', 'head_pitch_up'])).toEqual({ checks: {} });
    expect(attributeExpectations(['check:hat=yes', 'faces=3'])).toEqual({ checks: { hat: true }, faces: 3 });
    expect(() => attributeExpectations(['check:halo=yes'])).toThrow(/unknown quality check halo/);
  });

  it('reads RFC 4180 quoting ("" inside quotes, commas in quoted fields)', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'csv-')), 'a.csv');
    writeFileSync(file, 'path,attributes,evidence\r\na.jpg,eyes_open,"test: left < 0.5, right ""open"""\r\n\r\n');
    expect(readCsv(file)).toEqual([{ path: 'a.jpg', attributes: 'eyes_open', evidence: 'test: left < 0.5, right "open"' }]);
  });
});
