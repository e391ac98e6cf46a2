/** The quality checks the quality layer implements (src/quality/index.ts), by their request names. */

/** HyperVerge checkLiveness quality checks, by their request field names (`qualityChecks.<name>`). */
export const QUALITY_CHECKS = [
  'blur',
  'eyesClosed',
  'occlusion',
  'multipleFaces',
  'headTurned',
  'hat',
  'eyewear',
  'readingGlasses',
  'sunglasses',
  'dull',
  'bright',
  'nonWhiteBackground',
  'nudity',
  'lowQuality',
] as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[number];
