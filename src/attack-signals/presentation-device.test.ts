import { describe, expect, it } from 'vitest';
import { PRESENTATION_DEVICES, presentationDevice, shareInside } from './presentation-device.js';

const face = { x: 100, y: 100, width: 50, height: 60 };

describe('presentation device signal', () => {
  it('shareInside is the share of the inner box covered by the outer one', () => {
    expect(shareInside(face, { x: 0, y: 0, width: 500, height: 500 })).toBe(1);
    expect(shareInside(face, { x: 125, y: 0, width: 500, height: 500 })).toBeCloseTo(0.5, 12);
    expect(shareInside(face, { x: 300, y: 300, width: 10, height: 10 })).toBe(0);
  });

  it('scores a phone that holds the face by the detector probability × the face share inside it', () => {
    const phone = { label: 'cell phone', score: 0.8, box: { x: 80, y: 70, width: 100, height: 180 } };
    const r = presentationDevice([phone, { label: 'cup', score: 0.9, box: face }], face);
    expect(r.score).toBeCloseTo(0.8, 12);
    expect(r.evidence.device).toMatchObject({ label: 'cell phone', attackType: 'screen', faceInside: 1, personOutside: 0 });
    expect(r.evidence.candidates.map((c) => c.label)).toEqual(['cell phone']);
  });

  it('gives no evidence for a device beside or below the face (a laptop on the desk of a webcam user)', () => {
    const laptop = { label: 'laptop', score: 0.95, box: { x: 60, y: 180, width: 200, height: 120 } };
    expect(presentationDevice([laptop], face).score).toBe(0);
  });

  it('discounts a screen behind a live person whose body reaches outside it', () => {
    const tv = { label: 'tv', score: 0.9, box: { x: 50, y: 50, width: 160, height: 140 } };
    // The person box around the face extends far below the TV: half of it lies outside.
    const person = { label: 'person', score: 0.9, box: { x: 60, y: 90, width: 140, height: 200 } };
    const alone = presentationDevice([tv], face).score;
    const withPerson = presentationDevice([tv, person], face);
    expect(alone).toBeCloseTo(0.9, 12);
    expect(withPerson.evidence.device!.personOutside).toBeGreaterThan(0.4);
    expect(withPerson.score).toBeLessThan(alone * 0.6);
    // A displayed person, clipped by the display, keeps the full evidence.
    const shown = { label: 'person', score: 0.8, box: { x: 60, y: 60, width: 140, height: 120 } };
    expect(presentationDevice([tv, shown], face).score).toBeCloseTo(0.9, 12);
  });

  it('maps every presentation class to screen or print', () => {
    expect(PRESENTATION_DEVICES).toEqual({ 'cell phone': 'screen', tv: 'screen', laptop: 'screen', book: 'print' });
    expect(presentationDevice([{ label: 'book', score: 0.5, box: { x: 0, y: 0, width: 400, height: 400 } }], face).evidence.device?.attackType).toBe('print');
  });
});
