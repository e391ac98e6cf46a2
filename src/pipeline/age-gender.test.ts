import { describe, expect, it } from 'vitest';
import { AGE_BUCKETS, AGE_EDGE_MARGIN_YEARS, ageRange, genderFromProbability } from './age-gender.js';

describe('age buckets', () => {
  it('cover 0–100 without gaps or overlaps', () => {
    expect(AGE_BUCKETS[0]![0]).toBe(0);
    expect(AGE_BUCKETS[AGE_BUCKETS.length - 1]![1]).toBe(100);
    for (let i = 1; i < AGE_BUCKETS.length; i++) expect(AGE_BUCKETS[i]![0]).toBe(AGE_BUCKETS[i - 1]![1] + 1);
  });

  it.each([
    [5, 0, 12, 'high'],
    [30.4, 26, 35, 'high'],
    [25.2, 19, 25, 'low'],
    [26.1, 26, 35, 'low'],
    [18.9, 19, 25, 'low'],
    [40.5, 36, 45, 'high'],
    [85, 61, 100, 'high'],
    [130, 61, 100, 'high'],
    [-3, 0, 12, 'high'],
  ] as const)('age %d → %d–%d, confidence %s', (age, low, high, confidence) => {
    expect(ageRange(age)).toEqual({ low, high, estimate: age, confidence });
  });

  it(`confidence turns low exactly ${AGE_EDGE_MARGIN_YEARS} years from an inner edge`, () => {
    // Edge between 26–35 and 36–45 lies at 35.5.
    expect(ageRange(35.5 - AGE_EDGE_MARGIN_YEARS - 0.01).confidence).toBe('high');
    expect(ageRange(35.5 - AGE_EDGE_MARGIN_YEARS + 0.01).confidence).toBe('low');
  });
});

describe('gender', () => {
  it('reports the likelier class with its probability', () => {
    expect(genderFromProbability(0.97)).toEqual({ value: 'Male', score: 0.97, confidence: 'high' });
    expect(genderFromProbability(0.2)).toMatchObject({ value: 'Female', confidence: 'low' });
    expect(genderFromProbability(0.2).score).toBeCloseTo(0.8, 12);
    expect(genderFromProbability(0.5).value).toBe('Male');
  });
});
