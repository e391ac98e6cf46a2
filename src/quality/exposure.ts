/**
 * Exposure measurements shared by `dull` (under-exposed / too dark) and `bright` (over-exposed / washed
 * out): luma statistics of the face skin (aligned crop, between the eyes and the mouth) and of the whole
 * image. Face and image are both measured because a dark face in front of a bright window is as unusable
 * as an overall dark photo, and a dark-skinned face in a well-lit photo is not "dull".
 */
import type { FaceAnalysis } from '../face/types.js';
import { faceRegions, landmarksInCrop } from './face-regions.js';
import { type GreyImage, type LumaStats, lumaStats, toGrey, wholeImageLuma } from './image-stats.js';
import { IMAGE_BRIGHT_PERCENTILE } from './whole-image.js';

export interface ExposureMeasurement {
  /** Face skin: from the eye line to the mouth, outer eye corner to outer eye corner, aligned crop. */
  face: LumaStats;
  /** The whole decoded image. */
  image: LumaStats;
  /** 95th percentile of the whole image's luma, 0–255: how bright the brightest part of the scene is. */
  imageP95: number;
}

/**
 * `faceGrey`: the aligned crop's grey plane when the caller already has it (blur reads the same one); `whole`: the
 * whole image's luma statistics when the caller had them measured (whole-image.ts measureWholeImage, maybe on another
 * thread).
 */
export function measureExposure(
  analysis: FaceAnalysis,
  faceGrey: GreyImage = toGrey(analysis.alignedFace.image),
  whole: { stats: LumaStats; percentile: number } = wholeImageLuma(analysis.image, IMAGE_BRIGHT_PERCENTILE),
): ExposureMeasurement {
  const points = landmarksInCrop(analysis);
  const regions = faceRegions(points);
  const face = lumaStats(faceGrey, {
    x0: points[36]!.x,
    x1: points[45]!.x,
    y0: Math.min(regions.leftEye.y0, regions.rightEye.y0),
    y1: regions.mouth.y1,
  });
  return { face, image: whole.stats, imageP95: whole.percentile };
}
