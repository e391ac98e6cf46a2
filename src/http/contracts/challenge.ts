/**
 * The active liveness challenge on the wire (pure): what a client sees of a stored challenge, the same in
 * POST /v1/challenges (HyperVerge envelope, verify-video.ts) and in a session's body (`challenge`, verilock.ts). Only
 * its id, its steps and what the capture client needs to run it: the app, the binding and the use are the server's.
 * snake_case with units in the names, as the rest of those bodies.
 */
import type { ChallengeAction } from '../../sessions/challenge-draw.js';
import type { StoredChallenge } from '../../sessions/challenge-repository.js';

/** A challenge id as issued: `chl_` and a lowercase UUID (node:crypto randomUUID). */
export const CHALLENGE_ID_PATTERN = /^chl_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ChallengeBody {
  /** Send it back with the recording: `challengeId` (verifyVideo) or `challenge_id` (a session's video upload, optional there). */
  id: string;
  /** In order; each to be performed inside its window. */
  steps: { action: ChallengeAction; /** [start, end], seconds from the start of the recording. */ window_s: [number, number] }[];
  /** How long to record, seconds: the last window's end plus a tail. */
  recording_seconds: number;
  /** ISO 8601; past it the challenge is refused (410). */
  expires_at: string;
}

export function challengeBody(challenge: StoredChallenge): ChallengeBody {
  return {
    id: challenge.id,
    steps: challenge.steps.map((step) => ({ action: step.action, window_s: [step.windowSeconds[0], step.windowSeconds[1]] })),
    recording_seconds: challenge.recordingSeconds,
    expires_at: new Date(challenge.expiresAt).toISOString(),
  };
}
