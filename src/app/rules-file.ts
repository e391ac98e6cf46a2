/**
 * The decision rules file (RULES_FILE), hot-reloaded: file I/O and the reload policy here, in the composition root;
 * parsing and evaluation stay pure in src/pipeline/decision.ts (parseRules, decide, decideMatch, decideVideo).
 */
import { readFileSync, statSync } from 'node:fs';
import { AppError } from '../errors.js';
import { type DecisionRules, parseRules } from '../pipeline/decision.js';

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
