/**
 * verifyVideo wire format (pure, no HTTP objects): the multipart request (`video`, `selfie`, optional
 * `id` and `challengeId`) → VerifyVideoInput, and VideoVerification + decision → the success body, in the HyperVerge
 * envelope the other /v1 routes use (status, statusCode, metadata, result). Field names inside `result`
 * are snake_case as issue #4 specifies them (face_match_score, liveness_score, duration_seconds), the
 * style of the video-KYC vendors' APIs (e.g. Verilock) this route stands in for. Errors share
 * hyperverge.ts's envelope.
 */
import { AppError } from '../../errors.js';
import type { SummaryDetail, VideoResult } from '../../pipeline/decision.js';
import type { VerifyVideoInput, VideoVerification } from '../../pipeline/verify-video.js';
import type { ChallengeResult } from '../../pipeline/challenge.js';
import type { StoredChallenge } from '../../sessions/challenge-repository.js';
import { CHALLENGE_ID_PATTERN, challengeBody, type ChallengeBody } from './challenge.js';
import type { HvMetadata } from './hyperverge.js';
import type { FormFields } from './hyperverge-request.js';

/** Form fields of the request: the video, the selfie and, optionally, the ID photo and the active liveness challenge's id. */
export const VERIFY_VIDEO_FIELDS = ['video', 'selfie', 'id', 'challengeId'] as const;

/** The parsed request: the use case's input, and the challenge the recording answers (to be consumed before the run). */
export interface VerifyVideoRequest {
  input: VerifyVideoInput;
  challengeId?: string;
}

async function fileField(form: FormFields, name: Exclude<(typeof VERIFY_VIDEO_FIELDS)[number], 'challengeId'>, what: string, required: boolean): Promise<Uint8Array | undefined> {
  const value = form[name];
  if (value === undefined) {
    if (required) throw new AppError('BAD_REQUEST', `form field "${name}" (${what}) is mandatory`);
    return undefined;
  }
  if (Array.isArray(value)) throw new AppError('BAD_REQUEST', `form field "${name}" was sent ${value.length} times; send it once`);
  if (typeof value === 'string') throw new AppError('BAD_REQUEST', `form field "${name}" must be a file upload, not text`);
  if (value.size === 0) throw new AppError('BAD_REQUEST', `form field "${name}" is empty`);
  return new Uint8Array(await value.arrayBuffer());
}

/** `challengeId`: optional text, an id from POST /v1/challenges; anything else is a parse error (400), before any lookup. */
function challengeIdField(form: FormFields): string | undefined {
  const value = form.challengeId;
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new AppError('BAD_REQUEST', `form field "challengeId" was sent ${value.length} times; send it once`);
  if (typeof value !== 'string') throw new AppError('BAD_REQUEST', 'form field "challengeId" must be text (the id from POST /v1/challenges), not a file');
  const id = value.trim();
  if (!CHALLENGE_ID_PATTERN.test(id)) throw new AppError('BAD_REQUEST', 'form field "challengeId" must be the id POST /v1/challenges answered ("chl_" and a UUID)');
  return id;
}

export async function parseVerifyVideoForm(form: FormFields): Promise<VerifyVideoRequest> {
  const unknown = Object.keys(form).filter((name) => !(VERIFY_VIDEO_FIELDS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new AppError('BAD_REQUEST', `unknown form field "${unknown[0]}"; expected ${VERIFY_VIDEO_FIELDS.join(', ')}`);
  const video = (await fileField(form, 'video', 'an MP4, MOV or WebM file', true))!;
  const selfie = (await fileField(form, 'selfie', 'a JPG, JPEG, PNG or WebP file', true))!;
  const id = await fileField(form, 'id', 'a JPG, JPEG, PNG or WebP file', false);
  const challengeId = challengeIdField(form);
  return { input: { video, selfie, ...(id ? { id } : {}) }, ...(challengeId !== undefined ? { challengeId } : {}) };
}

/** 201 body of POST /v1/challenges: the HyperVerge envelope around the challenge (this service's extension). */
export interface ChallengeSuccessBody {
  status: 'success';
  statusCode: 201;
  metadata: Required<HvMetadata>;
  result: ChallengeBody;
}

export function challengeSuccessBody(metadata: Required<HvMetadata>, challenge: StoredChallenge): ChallengeSuccessBody {
  return { status: 'success', statusCode: 201, metadata, result: challengeBody(challenge) };
}

/** Rounds to `digits` decimals; non-finite → 0. */
const round = (value: number, digits: number) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : 0);
const score100 = (value: number) => round(Math.min(100, Math.max(0, value)), 1);

export interface VerifyVideoSignalsBody {
  /** Per-frame passive anti-spoofing, combined: score 0–100 (50 = the calibrated threshold). */
  passive: { score: number; frames_scored: number; live_frame_share: number };
  /** Closed → open eye transitions among the sampled frames; eye openness = lid gap ÷ eye width. */
  blinks: { count: number; min_eye_openness: number; max_eye_openness: number };
  /** Head pose over time, degrees. */
  head_motion: { yaw_range_deg: number; pitch_range_deg: number; nods: number; turns: number; moved: boolean };
  /** Same person throughout: share of (frontal) face frames within the same-person distance of the clip's medoid face. */
  identity_consistency: { consistent: boolean; same_person_share: number; max_distance: number };
  /** Share of sampled frames with a face, 0–1. */
  face_presence: number;
}

export interface VerifyVideoSuccessBody {
  status: 'success';
  statusCode: 200;
  metadata: Required<HvMetadata>;
  result: {
    result: VideoResult;
    /** One entry per score that kept the result from `approved` (rules file, `verifyVideo` section). */
    details: SummaryDetail[];
    /** 0–100: video vs selfie (matchFace's scale: 50 at the same-person threshold). */
    face_match_score: number;
    /** 0–100: video vs ID photo, when `id` was sent. */
    id_match_score?: number;
    /** 0–100: combined liveness (passive × temporal × identity; README "verifyVideo API"). */
    liveness_score: number;
    duration_seconds: number;
    frames_analysed: number;
    frames_with_face: number;
    /** Time of the best frame, seconds, and a signed link to its aligned face crop (JPEG). */
    best_frame: { time_seconds: number; url: string };
    signals: VerifyVideoSignalsBody;
    /**
     * Extension, issue #14: the active liveness challenge's answer when the request named one (`challengeId`): each
     * step's window, when it was seen performed and how much. A failed challenge makes liveness_score 0.
     */
    challenge?: ChallengeResult;
  };
}

export function verifyVideoSuccessBody(args: {
  metadata: Required<HvMetadata>;
  outcome: VideoVerification;
  decision: { result: VideoResult; details: SummaryDetail[] };
  bestFrameUrl: string;
}): VerifyVideoSuccessBody {
  const { outcome } = args;
  const s = outcome.signals;
  return {
    status: 'success',
    statusCode: 200,
    metadata: args.metadata,
    result: {
      result: args.decision.result,
      details: args.decision.details,
      face_match_score: score100(outcome.faceMatch.score),
      ...(outcome.idMatch ? { id_match_score: score100(outcome.idMatch.score) } : {}),
      liveness_score: score100(outcome.livenessScore),
      duration_seconds: round(outcome.durationSeconds, 2),
      frames_analysed: outcome.framesSampled,
      frames_with_face: outcome.framesWithFace,
      best_frame: { time_seconds: round(outcome.bestFrame.timeSeconds, 2), url: args.bestFrameUrl },
      signals: {
        passive: { score: score100(s.passive.score * 100), frames_scored: s.passive.frames, live_frame_share: round(s.passive.liveShare, 3) },
        blinks: { count: s.blinks.count, min_eye_openness: round(s.blinks.minOpenness, 3), max_eye_openness: round(s.blinks.maxOpenness, 3) },
        head_motion: {
          yaw_range_deg: round(s.headMotion.yawRangeDeg, 1),
          pitch_range_deg: round(s.headMotion.pitchRangeDeg, 1),
          nods: s.headMotion.nods,
          turns: s.headMotion.turns,
          moved: s.headMotion.moved,
        },
        identity_consistency: { consistent: s.identity.consistent, same_person_share: round(s.identity.sameShare, 3), max_distance: round(s.identity.maxDistance, 3) },
        face_presence: round(s.facePresence, 3),
      },
      ...(outcome.challenge ? { challenge: outcome.challenge } : {}),
    },
  };
}
