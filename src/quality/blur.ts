/**
 * `blur`: is the face out of focus or motion-blurred? Measured on the aligned face crop (256², the face
 * scaled to a fixed size, so the number does not depend on how large the face is in the photo):
 * variance of the Laplacian (Pech-Pacheco et al., ICPR 2000) over the face interior, in log₁₀ units.
 * A face photographed at low resolution is upsampled into the crop and also reads as blurred, which is
 * what a reviewer would see.
 */
import type { RgbImage } from '../imaging/image.js';
import { type GreyImage, laplacianVariance, toGrey } from './image-stats.js';
import { bandedVerdict } from './banded-verdict.js';
import type { ExplainedVerdict } from './verdict.js';

/**
 * log₁₀(variance of Laplacian) below which the face counts as blurred. Set by bench/quality.ts: the 12
 * sharp reference portraits measure 2.1–3.0 (any real photo in the sets: 0.7–3.9, the low end being faces
 * under 30 px between the eyes), the same portraits blurred with a Gaussian of σ = 0.5 % of the image width
 * measure 0.2–1.3, except one large face (σ ≈ 0.6 % of its width) at 1.8 (see docs/quality-checks.md).
 */
export const BLUR_LOG_LAPLACIAN_THRESHOLD = 1.5;
/**
 * 0.3 in log₁₀ (a factor of 2 in Laplacian variance) below the threshold is a clear "blurred": `high` yes at ≤ 1.2
 * (bench/quality.ts: 9 labelled answers there, all synthetic blurred copies, 0 wrong).
 */
export const BLUR_CONFIDENCE_MARGIN = 0.3;
/**
 * `high` "sharp" only from 2.0 (a factor of ≈ 3 in Laplacian variance above the threshold). The former symmetric band
 * (≥ 1.8) measured 14 labelled answers, 1 wrong (7 %): the blurred copy of a large face (Tom_Cruise_avp_2014_4) at
 * 1.80. From 2.0: 13 answers (the real sharp portraits, 2.04–2.97), 0 wrong. The edge was set after seeing that error,
 * so its 0 / 13 is measured on the data that set it (docs/quality-checks.md). Not every "no" is made `low` instead:
 * the default rules send any low-confidence check to manual review (rules/decision-rules.json
 * QUALITY_CHECK_LOW_CONFIDENCE), which would send every request asking for blur there.
 */
export const BLUR_HIGH_NO_FROM = 2.0;

/**
 * log₁₀ variance of the Laplacian over the central half of the aligned crop (brows to mouth, cheek to cheek). `grey`:
 * the crop's grey plane when the caller already has it (the exposure checks read the same one).
 */
export function measureSharpness(alignedFace: RgbImage, grey: GreyImage = toGrey(alignedFace)): number {
  const { width, height } = alignedFace;
  const variance = laplacianVariance(grey, { x0: width / 4, y0: height / 4, x1: (3 * width) / 4, y1: (3 * height) / 4 });
  return Math.log10(Math.max(variance, 1e-3));
}

/**
 * Basis `laplacianVariance`: `log10LaplacianVariance` (log₁₀ of grey levels², measureSharpness), blurred below the threshold;
 * `high` yes at ≤ threshold − BLUR_CONFIDENCE_MARGIN, `high` no at ≥ BLUR_HIGH_NO_FROM, `low` between.
 */
export function blurVerdict(logLaplacianVariance: number): ExplainedVerdict {
  return bandedVerdict(
    logLaplacianVariance,
    { threshold: BLUR_LOG_LAPLACIAN_THRESHOLD, yesWhen: 'below', width: 0.15, highYesFrom: BLUR_LOG_LAPLACIAN_THRESHOLD - BLUR_CONFIDENCE_MARGIN, highNoUpTo: BLUR_HIGH_NO_FROM },
    { method: 'laplacianVariance', measurements: { log10LaplacianVariance: logLaplacianVariance } },
  );
}
