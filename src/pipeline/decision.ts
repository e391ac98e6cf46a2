/**
 * Decision rules: turn a liveness outcome into a summary {action: pass | fail | manualReview, details}.
 * The rules live in a JSON file (default rules/check-liveness.json), validated with zod at load, and
 * are re-read when the file changes, so an operator can tune them without a restart. A broken edit
 * keeps the last good rules and says why in the log; a broken file at start-up stops start-up.
 *
 * Semantics (HyperVerge's recommended use of checkLiveness: a live face with no failing check passes,
 * a non-live face fails, anything doubtful goes to a human):
 *  - every rule whose condition holds adds {code, message} to `details`;
 *  - the action is `fail` if any matching rule says fail, else `manualReview` if any matched, else `pass`.
 * Rules only see results the caller asked for (the route filters the outcome first).
 */
import { statSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { QUALITY_CHECKS, type LivenessOutcome, type QualityCheck, type Verdict } from './types.js';

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

const ruleSchema = z.object({
  /** Free text for the operator; ignored. */
  $comment: z.string().optional(),
  when: z
    .object({
      /** `liveFace`, `qualityChecks.<name>` (request field names, e.g. `qualityChecks.occlusion`) or `qualityChecks.*`. */
      result: z.enum(RESULT_NAMES),
      /** Matches the verdict's value: "yes" (e.g. live face, image blurred) or "no". */
      value: z.enum(['yes', 'no']).optional(),
      /** Matches the verdict's confidence. */
      confidence: z.enum(['high', 'low']).optional(),
    })
    .strict()
    .refine((w) => w.value !== undefined || w.confidence !== undefined, { message: 'give `value`, `confidence` or both' }),
  /** What a match does to the summary; `pass` is what happens when nothing matches. */
  action: z.enum(['fail', 'manualReview']),
  /** Stable code returned in summary.details[].code; `{check}` is replaced by the quality check's name. */
  code: z.string().min(1).max(64),
  /** Human-readable reason; `{check}` is replaced by the quality check's name. */
  message: z.string().min(1).max(500),
}).strict();

export const rulesFileSchema = z
  .object({
    $comment: z.union([z.string(), z.array(z.string())]).optional(),
    rules: z.array(ruleSchema),
  })
  .strict();

export type DecisionRules = z.infer<typeof rulesFileSchema>;
export type DecisionRule = DecisionRules['rules'][number];

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

function matches(when: DecisionRule['when'], verdict: Verdict): boolean {
  if (when.value !== undefined && (when.value === 'yes') !== verdict.value) return false;
  if (when.confidence !== undefined && when.confidence !== verdict.confidence) return false;
  return true;
}

function targets(result: DecisionRule['when']['result'], outcome: LivenessOutcome): [check: string, verdict: Verdict][] {
  if (result === 'liveFace') return [['liveFace', outcome.liveFace]];
  const checks = Object.entries(outcome.qualityChecks) as [QualityCheck, Verdict | undefined][];
  const wanted = result === 'qualityChecks.*' ? checks : checks.filter(([name]) => `qualityChecks.${name}` === result);
  return wanted.filter((entry): entry is [QualityCheck, Verdict] => entry[1] !== undefined);
}

/** Applies the rules to an outcome (pure). Details keep rule order; identical details appear once. */
export function decide(rules: DecisionRules, outcome: LivenessOutcome): Summary {
  let action: Action = 'pass';
  const details: SummaryDetail[] = [];
  const seen = new Set<string>();
  for (const rule of rules.rules) {
    for (const [check, verdict] of targets(rule.when.result, outcome)) {
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

export interface RulesFileOptions {
  /** Where reload problems are reported. Default console.warn. */
  log?: (message: string) => void;
  /** Look at the file's mtime at most this often, milliseconds. Default 1000; 0 = on every call. */
  checkIntervalMs?: number;
  /** Clock, milliseconds (tests). */
  now?: () => number;
}

/**
 * Rules from a file, hot-reloaded: `current()` stats the file (at most once per checkIntervalMs) and
 * re-reads it when its mtime, size or inode changed (an editor's atomic rename changes the inode).
 * Polling on use instead of fs.watch: works on every file system (network mounts, bind mounts, where
 * fs.watch misses events) and costs one stat per second at most.
 */
export class RulesFile {
  private rules: DecisionRules;
  private stamp: string;
  private checkedAt: number;
  private readonly log: (message: string) => void;
  private readonly checkIntervalMs: number;
  private readonly now: () => number;

  /** Loads the file; a missing or invalid file throws (start-up error naming the field). */
  constructor(
    readonly file: string,
    options: RulesFileOptions = {},
  ) {
    this.log = options.log ?? ((m) => console.warn(m));
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.stamp = RulesFile.stampOf(file);
    this.rules = parseRules(RulesFile.read(file), file);
    this.checkedAt = this.now();
  }

  private static read(file: string): string {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new AppError('CONFIG_INVALID', `decision rules ${file}: cannot read (${(error as Error).message})`);
    }
  }

  private static stampOf(file: string): string {
    try {
      const s = statSync(file);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return 'missing';
    }
  }

  /** The rules in force: the file's current content, or the last good content if the file is now broken. */
  current(): DecisionRules {
    const now = this.now();
    if (now - this.checkedAt < this.checkIntervalMs) return this.rules;
    this.checkedAt = now;
    const stamp = RulesFile.stampOf(this.file);
    if (stamp === this.stamp) return this.rules;
    this.stamp = stamp;
    try {
      this.rules = parseRules(RulesFile.read(this.file), this.file);
      this.log(`decision rules reloaded from ${this.file} (${this.rules.rules.length} rules)`);
    } catch (error) {
      this.log(`${(error as Error).message}; keeping the previous rules`);
    }
    return this.rules;
  }
}
