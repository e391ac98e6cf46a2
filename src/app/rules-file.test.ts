import { mkdtempSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecisionRules } from '../pipeline/decision.js';
import { RulesFile } from './rules-file.js';

describe('RulesFile hot reload', () => {
  const rulesWith = (code: string): DecisionRules => ({ rules: [{ when: { result: 'liveFace', value: 'yes' }, action: 'manualReview', code, message: 'm' }] });
  const setup = () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rules-')), 'rules.json');
    writeFileSync(file, JSON.stringify(rulesWith('FIRST')));
    const logs: string[] = [];
    return { file, logs, rules: new RulesFile(file, { checkIntervalMs: 0, log: (m) => logs.push(m) }) };
  };
  const touch = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

  it('fails at start-up on a missing or broken file', () => {
    expect(() => new RulesFile('/nonexistent/rules.json')).toThrow(/decision rules \/nonexistent\/rules\.json: cannot read/);
  });

  it('picks up an edit, including an atomic rename over the file', () => {
    const { file, logs, rules } = setup();
    expect(rules.current().rules[0]!.code).toBe('FIRST');
    writeFileSync(file, JSON.stringify(rulesWith('SECOND')));
    touch(file, 2_000_000_000);
    expect(rules.current().rules[0]!.code).toBe('SECOND');
    expect(logs.at(-1)).toMatch(/decision rules reloaded from .*rules\.json \(1 rules\)/);
    writeFileSync(`${file}.tmp`, JSON.stringify(rulesWith('THIRD')));
    renameSync(`${file}.tmp`, file);
    expect(rules.current().rules[0]!.code).toBe('THIRD');
  });

  it('keeps the last good rules when an edit is broken, and says why', () => {
    const { file, logs, rules } = setup();
    writeFileSync(file, JSON.stringify({ rules: [{ when: { result: 'liveFace', value: 'yes' }, action: 'block', code: 'X', message: 'm' }] }));
    touch(file, 2_000_000_000);
    expect(rules.current().rules[0]!.code).toBe('FIRST');
    expect(logs.at(-1)).toMatch(/rules\[0\]\.action.*; keeping the previous rules/s);
    // A fix is picked up again.
    writeFileSync(file, JSON.stringify(rulesWith('FIXED')));
    touch(file, 2_000_000_100);
    expect(rules.current().rules[0]!.code).toBe('FIXED');
  });

  it('stats the file at most once per interval', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rules-'));
    const file = path.join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify(rulesWith('FIRST')));
    let now = 0;
    const rules = new RulesFile(file, { checkIntervalMs: 1000, now: () => now, log: () => {} });
    writeFileSync(file, JSON.stringify(rulesWith('SECOND')));
    touch(file, 2_000_000_000);
    now = 500;
    expect(rules.current().rules[0]!.code).toBe('FIRST');
    now = 1000;
    expect(rules.current().rules[0]!.code).toBe('SECOND');
  });
});
