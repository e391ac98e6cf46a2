/**
 * The operator CLI as an operator runs it (`node bin/face-liveness.mjs …`, the package bin), on real images with the
 * real models: the wire JSON of check and match, JSON Lines for a batch, --help for every command, usage errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../scripts/cli.js';
import { EXPECTED_MODELS } from '../expected-models.js';
import { repoRoot, sharedData } from '../helpers/reference.js';

const packsDir = mkdtempSync(path.join(tmpdir(), 'cli-packs-'));
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'face-liveness.mjs'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, MODEL_PACKS_DIR: packsDir },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const obama = (f: string) => sharedData(`identity/face_recognition_ageitgey/obama/${f}`);

describe('face-liveness CLI', () => {
  it('check <image> prints checkLiveness\'s wire JSON, with the checks asked for', () => {
    const r = cli('check', obama('obama.jpg'), '--quality=blur,eyewear', '--age');
    expect(r.status, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout) as { status: string; statusCode: number; metadata: { transactionId: string }; result: { details: Record<string, unknown>; summary: { action: string } } };
    expect(body).toMatchObject({ status: 'success', statusCode: 200, metadata: { transactionId: 'cli-1' } });
    expect(Object.keys(body.result.details).sort()).toEqual(['ageRange', 'liveFace', 'qualityChecks']);
    expect(Object.keys(body.result.details.qualityChecks as object).sort()).toEqual(['blur', 'eyewear']);
    expect(body.result.summary.action).toMatch(/^(pass|fail|manualReview)$/);
    // Only warnings on stderr, and never the embedded app's key.
    expect(r.stderr).not.toMatch(/appKey=/);
  });

  it('several images → one JSON line each, the failure included; exit 1 when one was not a 200', () => {
    const r = cli('check', obama('obama.jpg'), sharedData('attributes/faceapi/white.png'));
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; status: number; body: { statusCode: number; result: { error?: string } } });
    expect(lines.map((l) => [path.basename(l.file), l.status])).toEqual([
      ['obama.jpg', 200],
      ['white.png', 422],
    ]);
    expect(lines[1]!.body).toMatchObject({ statusCode: 422, result: { error: 'No face detected' } });
  });

  it('match <selfie> <id> prints matchFace\'s wire JSON', () => {
    const r = cli('match', obama('obama.jpg'), obama('obama2.jpg'));
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ statusCode: 200, result: { details: { match: { value: 'yes' } } } });
  });

  it('models list names every model with what loads it', () => {
    const r = cli('models', 'list');
    expect(r.status, r.stderr).toBe(0);
    for (const id of Object.keys(EXPECTED_MODELS)) expect(r.stdout).toContain(`  ${id}  `);
    expect(r.stdout).toMatch(/faceapi-ssd-mobilenetv1 .*→ checkLiveness, matchFace, verifyVideo/);
    expect(r.stdout).toMatch(/human-faceres .*→ not loaded: no use case asks for it/);
    expect(r.stdout).toMatch(/minifasnet-v2 .*missing \(default\)/);
  });

  it('every command answers --help; unknown commands, options and missing arguments are usage errors (exit 2)', async () => {
    // In process (runCli is what the bin runs): these never reach the models.
    const run = async (...args: string[]) => {
      let stdout = '';
      let stderr = '';
      const status = await runCli(args, { out: (t) => void (stdout += `${t}\n`), err: (t) => void (stderr += `${t}\n`) });
      return { status, stdout, stderr };
    };
    expect(await run('--help')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Usage: face-liveness <command>/) });
    for (const [command, usage] of [
      ['check', /Usage: face-liveness check <image>/],
      ['match', /Usage: face-liveness match <selfie> <id>/],
      ['models', /Usage: face-liveness models <list\|fetch>/],
      ['apps', /Usage: npm run apps -- <command>/],
    ] as const) {
      const r = await run(command, '--help');
      expect(r.status, command).toBe(0);
      expect(r.stdout, command).toMatch(usage);
    }
    expect(await run('nope')).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown command "nope"/) });
    expect(await run('check')).toMatchObject({ status: 2, stderr: expect.stringMatching(/check needs at least one image/) });
    expect(await run('check', obama('obama.jpg'), '--quality=hats')).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown quality check\(s\) hats/) });
    expect(await run('check', obama('obama.jpg'), '--frobnicate')).toMatchObject({ status: 2, stderr: expect.stringMatching(/frobnicate/) });
    expect(await run('match', obama('obama.jpg'))).toMatchObject({ status: 2, stderr: expect.stringMatching(/match needs two images/) });
    expect(await run('check', '/nonexistent.jpg')).toMatchObject({ status: 2, stderr: expect.stringMatching(/cannot read \/nonexistent\.jpg: ENOENT/) });
    expect(await run('models', 'prune')).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown models command "prune"/) });
  });
});
