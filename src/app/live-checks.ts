/**
 * The automatic checks an agent sees during a live call (README "Live agent mode"): liveness of a face image (the
 * session's selfie, or a snapshot of the call) and its face match with the session's photos, computed with the
 * service's own checkLiveness and matchFace use cases in the process-wide inference slots. Scores are 0–100 like the
 * session's: liveness is checkLiveness's fused live probability (`liveFace.score`, 0–1) × 100, the match is matchFace's
 * score (50 at the threshold), the weakest over the references. A score that cannot be computed (no face, the slots
 * are full) is null: the agent is looking at the person anyway.
 */
import type { ConcurrencyLimiter } from '../http/concurrency.js';
import type { MatchFace } from '../pipeline/match-face.js';
import type { CheckLiveness } from '../pipeline/types.js';
import type { LiveChecker } from '../sessions/live-calls.js';

export function createLiveChecker(uses: { checkLiveness: CheckLiveness; matchFace: MatchFace; concurrency: Pick<ConcurrencyLimiter, 'run'>; log?: (message: string) => void }): LiveChecker {
  const note = (what: string) => (error: unknown) => {
    uses.log?.(`live call checks: ${what} not computed (${error instanceof Error ? error.message : String(error)})`);
    return null;
  };
  return async ({ face, references }) => {
    const livenessScore = await uses
      .concurrency.run(() => uses.checkLiveness(face, { qualityChecks: [], ageRange: false, gender: false, croppedImage: false }))
      .then((outcome) => outcome.liveFace.score * 100, note('liveness'));
    let faceMatchScore: number | null = null;
    for (const reference of references) {
      const score = await uses.concurrency.run(() => uses.matchFace({ selfie: face, id: reference })).then((outcome) => outcome.match.score, note('face match'));
      if (score === null) return { faceMatchScore: null, livenessScore };
      faceMatchScore = faceMatchScore === null ? score : Math.min(faceMatchScore, score);
    }
    return { faceMatchScore, livenessScore };
  };
}
