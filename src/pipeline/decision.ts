/**
 * Decision rules: turn a use case's outcome into a summary. One server-side JSON file (default
 * rules/decision-rules.json) holds a section per API, validated with zod at load, and re-read when the
 * file changes, so an operator can tune them without a restart. A broken edit keeps the last good
 * rules and says why in the log; a broken file at start-up stops start-up.
 *
 * Sections:
 *  - `rules` (checkLiveness): HyperVerge's recommended use of checkLiveness: a live face with no
 *    failing check passes, a non-live face fails, anything doubtful goes to a human;
 *  - `matchFace`: rules over the face match verdict (`match` yes/no, confidence high/low);
 *  - `verifyVideo`: score thresholds (0–100) that approve / decline / send to review.
 * Rule semantics (checkLiveness and matchFace):
 *  - every rule whose condition holds adds {code, message} to `details`;
 *  - the action is `fail` if any matching rule says fail, else `manualReview` if any matched, else `pass`.
 * Rules only see results the caller asked for (the route filters the outcome first).
 * `matchFace` and `verifyVideo` may be left out of a file (older files had only `rules`): the built-in
 * DEFAULT_MATCH_FACE_RULES / DEFAULT_VERIFY_VIDEO_RULES apply, the same values as the committed file.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';
import { LIVENESS_LIMITATIONS, QUALITY_CHECKS, type LivenessLimitation, type LivenessOutcome, type QualityCheck, type Verdict } from './types.js';

export type Action = 'pass' | 'fail' | 'manualReview';

export interface SummaryDetail {
  code: string;
  message: string;
}

export interface Summary {
  action: Action;
  details: SummaryDetail[];
}

/** What a rule looks at: the liveness verdict, one quality check, or every requested quality check. */
const RESULT_NAMES = ['liveFace', 'qualityChecks.*', ...QUALITY_CHECKS.map((c) => `qualityChecks.${c}` as const)] as const;

/** The shared fields of a rule: what a match does and what it reports. */
const ruleOutcomeFields = {
  /** Free text for the operator; ignored. */
  $comment: z.string().optional(),
  /** What a match does to the summary; `pass` is what happens when nothing matches. */
  action: z.enum(['fail', 'manualReview']),
  /** Stable code returned in summary.details[].code; `{check}` is replaced by the checked result's name. */
  code: z.string().min(1).max(64),
  /** Human-readable reason; `{check}` is replaced by the checked result's name. */
  message: z.string().min(1).max(500),
};

/** A rule on yes/no verdicts: `when.result` names the verdict, `value`/`confidence` what must hold. */
function verdictRuleSchema<const Names extends readonly [string, ...string[]]>(resultNames: Names) {
  return z
    .object({
      ...ruleOutcomeFields,
      when: z
        .object({
          /** Which verdict the rule looks at. */
          result: z.enum(resultNames),
          /** Matches the verdict's value: "yes" (e.g. live face, image blurred, same person) or "no". */
          value: z.enum(['yes', 'no']).optional(),
          /** Matches the verdict's confidence. */
          confidence: z.enum(['high', 'low']).optional(),
          /**
           * checkLiveness `liveFace` only: matches when the answer carries this limitation (`tightFaceCrop`: the face
           * fills the picture; `antiSpoofingPackMissing`: MiniFASNet is not installed). See LivenessLimitation.
           */
          limitation: z.enum(LIVENESS_LIMITATIONS).optional(),
        })
        .strict()
        .refine((w) => w.value !== undefined || w.confidence !== undefined || w.limitation !== undefined, {
          message: 'give `value`, `confidence`, `limitation` or a combination',
        }),
    })
    .strict();
}

/** checkLiveness: `liveFace`, `qualityChecks.<name>` (request field names, e.g. `qualityChecks.occlusion`) or `qualityChecks.*`. */
const ruleSchema = verdictRuleSchema(RESULT_NAMES).refine((r) => r.when.limitation === undefined || r.when.result === 'liveFace', {
  message: '`limitation` applies to `liveFace` only',
  path: ['when', 'limitation'],
});

/** matchFace: the only verdict is `match` (same person?). */
const matchFaceRuleSchema = verdictRuleSchema(['match'] as const).refine((r) => r.when.limitation === undefined, {
  message: '`limitation` applies to checkLiveness `liveFace` only',
  path: ['when', 'limitation'],
});

const matchFaceSectionSchema = z
  .object({
    $comment: z.union([z.string(), z.array(z.string())]).optional(),
    rules: z.array(matchFaceRuleSchema),
  })
  .strict();

const codeMessageSchema = z.object({ code: z.string().min(1).max(64), message: z.string().min(1).max(500) }).strict();

/** What verifyVideo reports for one score: below `declineBelow` → `decline`, below `approveAtLeast` → `review`. */
const videoScoreMessagesSchema = z.object({ decline: codeMessageSchema, review: codeMessageSchema }).strict();

/**
 * What verifyVideo does with a finding that is not a score (issue #14): `decline`, or `review` (needs_review, never
 * approved), with the code and message reported in `details`.
 */
const videoFindingRuleSchema = z
  .object({
    $comment: z.string().optional(),
    action: z.enum(['decline', 'review']),
    code: z.string().min(1).max(64),
    message: z.string().min(1).max(500),
  })
  .strict();

const verifyVideoSectionSchema = z
  .object({
    $comment: z.union([z.string(), z.array(z.string())]).optional(),
    /** Approve when every score given is ≥ this (0–100). */
    approveAtLeast: z.number().min(0).max(100),
    /** Decline when any score given is < this (0–100); must be ≤ approveAtLeast. */
    declineBelow: z.number().min(0).max(100),
    /** Code and message per score; `{score}` in a message is replaced by the score (rounded). */
    scores: z
      .object({ faceMatch: videoScoreMessagesSchema, idMatch: videoScoreMessagesSchema, liveness: videoScoreMessagesSchema })
      .strict(),
    /**
     * An active liveness challenge that was not performed (a step missed, late or out of order). Its liveness score is 0,
     * and this rule, not the liveness score's, decides: `decline`, or `review` to have a person look. `{steps}` in the
     * message is replaced by the steps not passed. Absent = DEFAULT_VERIFY_VIDEO_FINDINGS.challengeFailed.
     */
    challengeFailed: videoFindingRuleSchema.optional(),
    /**
     * A self-record session's recording that matches an earlier recording of the same app (its perceptual fingerprint:
     * src/pipeline/recording-fingerprint.ts): either action keeps it from being approved. `{session}` in the message is
     * replaced by the earlier session's id. Absent = DEFAULT_VERIFY_VIDEO_FINDINGS.replayedRecording.
     */
    replayedRecording: videoFindingRuleSchema.optional(),
  })
  .strict()
  .refine((v) => v.declineBelow <= v.approveAtLeast, { message: '`declineBelow` must be ≤ `approveAtLeast`', path: ['declineBelow'] });

export const rulesFileSchema = z
  .object({
    $comment: z.union([z.string(), z.array(z.string())]).optional(),
    /** checkLiveness rules (the original section; name kept so older files still load). */
    rules: z.array(ruleSchema),
    matchFace: matchFaceSectionSchema.optional(),
    verifyVideo: verifyVideoSectionSchema.optional(),
  })
  .strict();

export type DecisionRules = z.infer<typeof rulesFileSchema>;
export type DecisionRule = DecisionRules['rules'][number];
export type MatchFaceRules = z.infer<typeof matchFaceSectionSchema>;
export type VerifyVideoRules = z.infer<typeof verifyVideoSectionSchema>;
export type VideoFindingRule = z.infer<typeof videoFindingRuleSchema>;

/** matchFace rules used when a rules file has no `matchFace` section (same as rules/decision-rules.json). */
export const DEFAULT_MATCH_FACE_RULES: MatchFaceRules = {
  rules: [
    { when: { result: 'match', value: 'no', confidence: 'high' }, action: 'fail', code: 'FACE_MISMATCH', message: 'Selfie and ID photo are of different people' },
    { when: { result: 'match', confidence: 'low' }, action: 'manualReview', code: 'FACE_MATCH_LOW_CONFIDENCE', message: 'Face match is uncertain; a person should compare the images' },
  ],
};

/**
 * The findings' rules when a rules file's `verifyVideo` section leaves them out (older files; the same values as
 * rules/decision-rules.json). Both decline: a recording that did not do what was asked on cue, or that was uploaded
 * before, is not evidence of a live person now (issue #14); an operator who prefers a person to look sets `review`.
 */
export const DEFAULT_VERIFY_VIDEO_FINDINGS: Required<Pick<VerifyVideoRules, 'challengeFailed' | 'replayedRecording'>> = {
  challengeFailed: {
    action: 'decline',
    code: 'VIDEO_CHALLENGE_FAILED',
    message: 'The active liveness challenge was not performed: {steps}',
  },
  replayedRecording: {
    action: 'decline',
    code: 'VIDEO_REPLAYED_RECORDING',
    message: 'The video is a recording already uploaded to session {session}',
  },
};

/** verifyVideo thresholds used when a rules file has no `verifyVideo` section (same as rules/decision-rules.json). */
export const DEFAULT_VERIFY_VIDEO_RULES: VerifyVideoRules = {
  approveAtLeast: 70,
  declineBelow: 40,
  scores: {
    faceMatch: {
      decline: { code: 'VIDEO_FACE_MISMATCH', message: 'Face in the video does not match the selfie (score {score})' },
      review: { code: 'VIDEO_FACE_MATCH_LOW', message: 'Face in the video matches the selfie only weakly (score {score})' },
    },
    idMatch: {
      decline: { code: 'VIDEO_ID_MISMATCH', message: 'Face in the video does not match the ID photo (score {score})' },
      review: { code: 'VIDEO_ID_MATCH_LOW', message: 'Face in the video matches the ID photo only weakly (score {score})' },
    },
    liveness: {
      decline: { code: 'VIDEO_LIVENESS_FAILED', message: 'Video is not of a live person (score {score})' },
      review: { code: 'VIDEO_LIVENESS_LOW', message: 'Liveness in the video is uncertain (score {score})' },
    },
  },
  ...DEFAULT_VERIFY_VIDEO_FINDINGS,
};

/** Parses rules from JSON text; the error names the file and the offending field path. */
export function parseRules(text: string, source: string): DecisionRules {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `decision rules ${source}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = rulesFileSchema.safeParse(json);
  if (!parsed.success) throw new AppError('CONFIG_INVALID', `decision rules ${source}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

interface VerdictRule {
  when: { value?: 'yes' | 'no'; confidence?: 'high' | 'low'; limitation?: LivenessLimitation };
  action: 'fail' | 'manualReview';
  code: string;
  message: string;
}

/** What a verdict rule looks at (the score is not used: rules work on value, confidence and liveFace's limitations). */
type RuleVerdict = Pick<Verdict, 'value' | 'confidence'> & { limitations?: readonly LivenessLimitation[] };

function matches(when: VerdictRule['when'], verdict: RuleVerdict): boolean {
  if (when.value !== undefined && (when.value === 'yes') !== verdict.value) return false;
  if (when.confidence !== undefined && when.confidence !== verdict.confidence) return false;
  if (when.limitation !== undefined && !verdict.limitations?.includes(when.limitation)) return false;
  return true;
}

/**
 * Applies verdict rules (pure): `targets(rule)` lists the [name, verdict] pairs a rule looks at.
 * Details keep rule order; identical details appear once.
 */
function applyVerdictRules<R extends VerdictRule>(rules: readonly R[], targets: (rule: R) => [check: string, verdict: RuleVerdict][]): Summary {
  let action: Action = 'pass';
  const details: SummaryDetail[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    for (const [check, verdict] of targets(rule)) {
      if (!matches(rule.when, verdict)) continue;
      if (rule.action === 'fail') action = 'fail';
      else if (action === 'pass') action = 'manualReview';
      const detail = { code: rule.code.replaceAll('{check}', check), message: rule.message.replaceAll('{check}', check) };
      const key = `${detail.code}\u0000${detail.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        details.push(detail);
      }
    }
  }
  return { action, details };
}

function livenessTargets(result: DecisionRule['when']['result'], outcome: LivenessOutcome): [check: string, verdict: RuleVerdict][] {
  if (result === 'liveFace') return [['liveFace', outcome.liveFace]];
  const checks = Object.entries(outcome.qualityChecks) as [QualityCheck, Verdict | undefined][];
  const wanted = result === 'qualityChecks.*' ? checks : checks.filter(([name]) => `qualityChecks.${name}` === result);
  return wanted.filter((entry): entry is [QualityCheck, Verdict] => entry[1] !== undefined);
}

/** checkLiveness: applies the `rules` section to an outcome (pure). */
export function decide(rules: DecisionRules, outcome: LivenessOutcome): Summary {
  return applyVerdictRules(rules.rules, (rule) => livenessTargets(rule.when.result, outcome));
}

/** matchFace: applies the `matchFace` section (or the defaults) to the match verdict (pure). */
export function decideMatch(rules: DecisionRules, match: RuleVerdict): Summary {
  const section = rules.matchFace ?? DEFAULT_MATCH_FACE_RULES;
  return applyVerdictRules(section.rules, () => [['match', match]]);
}

/** verifyVideo's outcome, in its own words (not pass/fail: the video flow approves or declines a session). */
export type VideoResult = 'approved' | 'declined' | 'needs_review';

export interface VideoDecisionInput {
  /** 0–100: face in the video vs the selfie (matchFace score scale). */
  faceMatchScore: number;
  /** 0–100: face in the video vs the ID photo, when an ID photo was given. */
  idMatchScore?: number;
  /** 0–100: how live the video looks. */
  livenessScore: number;
  /** The active liveness challenge's answer, when the recording answered one: passed, or which steps were not. */
  challenge?: { passed: boolean; failedSteps: string[] };
  /** Set when the recording matches an earlier one of the same app: that recording's session. */
  replayOf?: { sessionId: string };
}

/**
 * The decision's input from a verifyVideo outcome (its `faceMatch`, `idMatch` and `livenessScore`): the one mapping the
 * verifyVideo route and the self-record sessions share.
 */
export function videoDecisionInput(outcome: {
  faceMatch: { score: number };
  idMatch?: { score: number };
  livenessScore: number;
  challenge?: { passed: boolean; steps: { action: string; window_s: [number, number]; passed: boolean }[] };
}): VideoDecisionInput {
  return {
    faceMatchScore: outcome.faceMatch.score,
    livenessScore: outcome.livenessScore,
    ...(outcome.idMatch ? { idMatchScore: outcome.idMatch.score } : {}),
    ...(outcome.challenge
      ? {
          challenge: {
            passed: outcome.challenge.passed,
            failedSteps: outcome.challenge.steps.filter((step) => !step.passed).map((step) => `${step.action} (${step.window_s[0]}–${step.window_s[1]} s)`),
          },
        }
      : {}),
  };
}

/**
 * verifyVideo (pure): approved when every score given is ≥ approveAtLeast, declined when any is
 * < declineBelow, else needs_review. `details` has one entry per score below approveAtLeast (the
 * decline or review code of that score), in the order faceMatch, idMatch, liveness, then one per finding
 * (a challenge not performed, a replayed recording), each declining or sending to review as its rule says.
 * A failed challenge's liveness score (0, set by the challenge) is not judged again as a score: the
 * challengeFailed rule decides for it, so an operator can send those to review.
 */
export function decideVideo(rules: DecisionRules, input: VideoDecisionInput): { result: VideoResult; details: SummaryDetail[] } {
  const section = rules.verifyVideo ?? DEFAULT_VERIFY_VIDEO_RULES;
  const scores: [keyof VerifyVideoRules['scores'], number | undefined][] = [
    ['faceMatch', input.faceMatchScore],
    ['idMatch', input.idMatchScore],
    ['liveness', input.livenessScore],
  ];
  let result: VideoResult = 'approved';
  const details: SummaryDetail[] = [];
  const challengeFailed = input.challenge !== undefined && !input.challenge.passed;
  for (const [name, score] of scores) {
    if (score === undefined) continue;
    if (name === 'liveness' && challengeFailed) continue;
    // NaN is treated as the worst score: a missing measurement must never approve.
    const declined = !(score >= section.declineBelow);
    if (!declined && score >= section.approveAtLeast) continue;
    const entry = declined ? section.scores[name].decline : section.scores[name].review;
    if (declined) result = 'declined';
    else if (result === 'approved') result = 'needs_review';
    details.push({ code: entry.code, message: entry.message.replaceAll('{score}', Number.isFinite(score) ? String(Math.round(score)) : 'n/a') });
  }
  const findings: [VideoFindingRule, string][] = [];
  if (challengeFailed) {
    const rule = section.challengeFailed ?? DEFAULT_VERIFY_VIDEO_FINDINGS.challengeFailed;
    findings.push([rule, rule.message.replaceAll('{steps}', input.challenge!.failedSteps.join(', ') || 'none')]);
  }
  if (input.replayOf) {
    const rule = section.replayedRecording ?? DEFAULT_VERIFY_VIDEO_FINDINGS.replayedRecording;
    findings.push([rule, rule.message.replaceAll('{session}', input.replayOf.sessionId)]);
  }
  for (const [rule, message] of findings) {
    if (rule.action === 'decline') result = 'declined';
    else if (result === 'approved') result = 'needs_review';
    details.push({ code: rule.code, message });
  }
  return { result, details };
}
