/**
 * HyperVerge-style wire format for `POST /v1/matchFace` (pure; no HTTP objects): the multipart request
 * (`selfie` and `id` files) → MatchFaceImages, and the MatchOutcome + decision Summary → the success body.
 * Same headers, envelope (status/statusCode/metadata/result) and error bodies as checkLiveness
 * (hyperverge.ts). HyperVerge's Face Match API answers `result.details.match {value: "yes"|"no",
 * confidence}`; `score` (0–100, 50 at the threshold) is this service's extension (issue #4).
 */
import { AppError } from '../../errors.js';
import type { Summary } from '../../pipeline/decision.js';
import type { MatchFaceImages, MatchImageName, MatchOutcome } from '../../pipeline/match-face.js';
import type { Confidence } from '../../pipeline/types.js';
import type { HvMetadata, YesNo } from './hyperverge.js';
import type { FormFields } from './hyperverge-request.js';

export interface HvMatch {
  /** "yes" = same person. */
  value: YesNo;
  confidence: Confidence;
  /** Extension: 0–100 (two decimals), higher = more alike; 50 at the service's threshold. */
  score: number;
}

export interface HvMatchSuccessBody {
  status: 'success';
  statusCode: 200;
  metadata: Required<HvMetadata>;
  result: {
    details: { match: HvMatch };
    summary: Summary;
  };
}

const DESCRIPTIONS: Record<MatchImageName, string> = {
  selfie: 'the selfie',
  id: 'the reference: an ID-card photo or another selfie',
};

async function imageField(form: FormFields, name: MatchImageName): Promise<Uint8Array> {
  const value = form[name];
  const what = `form field "${name}" (${DESCRIPTIONS[name]}; a JPG, JPEG, PNG or WebP file)`;
  if (value === undefined) throw new AppError('BAD_REQUEST', `${what} is mandatory`, { subject: name });
  if (Array.isArray(value)) throw new AppError('BAD_REQUEST', `form field "${name}" was sent ${value.length} times; send it once`, { subject: name });
  if (typeof value === 'string') throw new AppError('BAD_REQUEST', `form field "${name}" must be a file upload, not text`, { subject: name });
  if (value.size === 0) throw new AppError('BAD_REQUEST', `form field "${name}" is empty`, { subject: name });
  return new Uint8Array(await value.arrayBuffer());
}

/** Multipart form → the two images. Other fields are ignored (as checkLiveness ignores unknown flags). */
export async function parseMatchFaceForm(form: FormFields): Promise<MatchFaceImages> {
  // In field order, so a request missing both is told about `selfie` first.
  const selfie = await imageField(form, 'selfie');
  const id = await imageField(form, 'id');
  return { selfie, id };
}

/** 0–100 clamped and rounded to two decimals (NaN → 0). */
export function roundMatchScore(score: number): number {
  const clamped = Math.min(100, Math.max(0, Number.isFinite(score) ? score : 0));
  return Math.round(clamped * 100) / 100;
}

export function matchSuccessBody(args: { metadata: Required<HvMetadata>; outcome: MatchOutcome; summary: Summary }): HvMatchSuccessBody {
  const { match } = args.outcome;
  return {
    status: 'success',
    statusCode: 200,
    metadata: args.metadata,
    result: {
      details: { match: { value: match.value ? 'yes' : 'no', confidence: match.confidence, score: roundMatchScore(match.score) } },
      summary: args.summary,
    },
  };
}
