/**
 * Eye-region statistics shared by `eyewear`, `sunglasses` and `readingGlasses` (no ready eyewear model is
 * shipped in the npm packages). Measured on the aligned crop, relative to the cheeks so that skin tone
 * and lighting cancel:
 *
 * - eyeDarkness: mean luma of the two eye boxes ÷ mean luma of the cheeks. Tinted lenses make the whole
 *   eye box dark (≈ 0.2–0.5); a bare eye keeps skin, sclera and lids around a small dark iris (≈ 0.7–1).
 * - bridgeEdges: mean |vertical luma gradient| (horizontal edges) across the nose bridge between the eyes
 *   ÷ the same on the cheeks. A spectacle bridge or top rim is a horizontal line there; bare skin is smooth.
 *   (The nose-bridge edge cue of Jiang, Binkert, Achermann & Bunke, "Towards detection of glasses in facial
 *   images", Pattern Analysis & Applications 2000.)
 */
import type { FaceAnalysis } from '../face/types.js';
import { faceRegions, landmarksInCrop } from './face-regions.js';
import { clampRect, type GreyImage, lumaStats, type Rect, toGrey } from './image-stats.js';

export interface EyeRegionMeasurement {
  /** Eye-box mean luma ÷ cheek mean luma (≥ 0; ≈ 1 = as bright as the skin). */
  eyeDarkness: number;
  /** Horizontal-edge strength on the nose bridge ÷ on the cheeks (≥ 0; ≈ 1 = as smooth as the skin). */
  bridgeEdges: number;
}

/** Mean |I(x, y+1) − I(x, y−1)| / 2 over a rectangle (vertical gradient = horizontal edges), grey levels per pixel. */
export function meanVerticalGradient(grey: GreyImage, rect: Rect): number {
  const r = clampRect(rect, grey.width, grey.height);
  let sum = 0;
  let n = 0;
  for (let y = Math.max(1, r.y0); y < Math.min(grey.height - 1, r.y1); y++) {
    for (let x = r.x0; x < r.x1; x++) {
      sum += Math.abs(grey.data[(y + 1) * grey.width + x]! - grey.data[(y - 1) * grey.width + x]!) / 2;
      n++;
    }
  }
  return n > 0 ? sum / n : 0;
}

export function measureEyeRegion(analysis: FaceAnalysis): EyeRegionMeasurement {
  const regions = faceRegions(landmarksInCrop(analysis));
  const grey = toGrey(analysis.alignedFace.image);
  const cheekLuma = (lumaStats(grey, regions.leftCheek).mean + lumaStats(grey, regions.rightCheek).mean) / 2;
  const eyeLuma = (lumaStats(grey, regions.leftEye).mean + lumaStats(grey, regions.rightEye).mean) / 2;
  const cheekEdges = (meanVerticalGradient(grey, regions.leftCheek) + meanVerticalGradient(grey, regions.rightCheek)) / 2;
  // Floor the cheek edge strength at 1 grey level/pixel so that very smooth (retouched, blurred) skin does not blow the ratio up.
  // Floor the cheek luma at 20 grey levels (a face in near darkness): ratios of two near-zero means are noise.
  return { eyeDarkness: eyeLuma / Math.max(cheekLuma, 20), bridgeEdges: meanVerticalGradient(grey, regions.noseBridge) / Math.max(cheekEdges, 1) };
}
