import { describe, expect, it } from 'vitest';
import { framedRegion, handsGripping, handsWithoutMedium, straddlesOutline } from './hands.js';

const face = { x: 100, y: 100, width: 50, height: 60 };
const phone = { x: 80, y: 70, width: 100, height: 180 };

describe('hands gripping the medium', () => {
  it('a hand across the medium outline straddles it; one deep inside or far outside does not', () => {
    expect(straddlesOutline({ x: 60, y: 150, width: 30, height: 40 }, phone)).toBe(true); // over the left edge
    expect(straddlesOutline({ x: 120, y: 200, width: 20, height: 20 }, phone)).toBe(false); // deep inside
    expect(straddlesOutline({ x: 400, y: 150, width: 30, height: 40 }, phone)).toBe(false); // far away
    expect(straddlesOutline({ x: 185, y: 150, width: 20, height: 30 }, phone)).toBe(true); // within the band outside the right edge
  });

  it('scores the best hand on the medium edge, ignores hands over the face', () => {
    const onEdge = { score: 0.4, box: { x: 60, y: 150, width: 30, height: 40 }, label: 'fist' };
    const overFace = { score: 0.9, box: { x: 105, y: 105, width: 40, height: 40 } };
    const r = handsGripping([overFace, onEdge], face, phone);
    expect(r.score).toBe(0.4);
    expect(r.evidence).toEqual({ hand: { box: onEdge.box, detectorScore: 0.4, label: 'fist' }, medium: phone, handsDetected: 2 });
    expect(handsGripping([overFace], face, phone).score).toBe(0);
  });

  it('without a medium there is no evidence and no hand was looked for', () => {
    expect(handsWithoutMedium()).toEqual({ score: 0, evidence: { handsDetected: 0 } });
  });

  it('the framed region needs at least two edges', () => {
    expect(framedRegion([{ x1: 0, y1: 0, x2: 0, y2: 100 }])).toBeUndefined();
    expect(framedRegion([{ x1: 10, y1: 5, x2: 10, y2: 100 }, { x1: 90, y1: 0, x2: 95, y2: 110 }])).toEqual({ x: 10, y: 0, width: 85, height: 110 });
  });
});
