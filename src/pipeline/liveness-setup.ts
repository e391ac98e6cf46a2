/**
 * Which liveness setup this process runs, from the models it loaded: with the MiniFASNet anti-spoofing pack (the
 * default install) or on the embedded models only (the pack could not be installed). /health, the start-up log and
 * every liveFace answer say which (issue #12); the liveness estimator uses the same test.
 */
import type { ModelRegistry } from '../inference/registry.js';
import { SELFIE_LIVENESS_CALIBRATION, type SelfieFusionModel, type SelfieLivenessCalibration, weighedContextFeatures } from './liveness-calibration.js';

/** Pack ids of the two MiniFASNet variants (models/packs.json); both are needed, one alone was never calibrated. */
export const MINIFASNET_PACK_IDS = ['minifasnet-v2', 'minifasnet-v1se'] as const;

export interface LivenessSetup {
  /** `installed`: both MiniFASNet packs loaded; `missing`: at least one is not, so MiniFASNet does not take part. */
  antiSpoofingPack: 'installed' | 'missing';
  /** Ids of the models that run for a selfie's liveness. */
  models: string[];
  /** The context signals that run for a full-frame selfie (src/attack-signals/). */
  contextSignals: string[];
  /** The fusion of this setup for full-frame selfies: what weighs, how much, and the verdict's thresholds (0–1). */
  fusion: SelfieFusionModel;
  /** One line for operators. */
  summary: string;
}

/** True when both MiniFASNet packs are loaded. */
export function hasAntiSpoofingPack(registry: ModelRegistry): boolean {
  const loaded = new Set(registry.list().filter((m) => m.origin === 'pack').map((m) => m.entry.id));
  return MINIFASNET_PACK_IDS.every((id) => loaded.has(id));
}

export function livenessSetup(registry: ModelRegistry, calibration: SelfieLivenessCalibration = SELFIE_LIVENESS_CALIBRATION): LivenessSetup {
  const installed = hasAntiSpoofingPack(registry);
  const fusion = installed ? calibration.withMinifasnet : calibration.embedded;
  // The same rule as LivenessEstimator: a detector runs when either setup's fusion weighs its signal.
  const weighed = weighedContextFeatures(calibration);
  const device = weighed.has('presentationDevice') || weighed.has('hands');
  const hands = weighed.has('hands');
  const models = [...(installed ? MINIFASNET_PACK_IDS : []), 'human-liveness', ...(device ? ['human-nanodet'] : []), ...(hands ? ['human-handtrack'] : [])];
  const contextSignals = [...(device ? ['presentationDevice'] : []), ...(hands ? ['hands'] : []), 'framingEdges', 'screenRecapture'];
  const features = Object.keys(fusion.weights).join(', ');
  const summary = installed
    ? `liveness: MiniFASNet anti-spoofing pack installed; the verdict weighs ${features}`
    : `liveness: WITHOUT the MiniFASNet anti-spoofing pack (${MINIFASNET_PACK_IDS.join(', ')} not installed): the verdict weighs ${features} only, ` +
      'most live answers need manual review and print and replay attacks are caught less often; install it with `npm run models:fetch` ' +
      '(or MODELS_MIRROR=<folder or URL> npm run models:fetch offline)';
  return { antiSpoofingPack: installed ? 'installed' : 'missing', models, contextSignals, fusion, summary };
}
