/**
 * verifyVideo on the real videos of ../shared/data, real models: the Hamilton clip matches Lin-Manuel
 * Miranda's photo and not other identities; the tranvanluyt live recording scores live and its replay
 * spoof, with the embedded models only and with the MiniFASNet pack; a face swapped mid-video (two
 * people's clips joined) breaks identity consistency. "Live" = liveness_score ≥ 50 (the calibrated
 * per-frame threshold maps to 50; see video-signals.ts). The only labelled live/replay video pair is
 * tranvanluyt: one person, one phone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { createVerifyVideo, type VerifyVideo, type VideoVerification } from '../../src/pipeline/verify-video.js';
import { videoBinaries } from '../../src/video/binaries.js';
import { createVideoReader } from '../../src/video/read-video.js';
import { repoRoot, sharedData } from '../helpers/reference.js';
import { registryWithPacks } from '../helpers/packs.js';

const file = (relative: string) => new Uint8Array(readFileSync(sharedData(relative)));
const identity = (relative: string) => file(`identity/face_recognition_ageitgey/${relative}`);
const HAMILTON = 'videos/face_recognition_ageitgey/short_hamilton_clip.mp4';
const modelsDir = path.join(repoRoot, 'models');
const work = mkdtempSync(path.join(tmpdir(), 'verify-video-test-'));
const readVideo = createVideoReader({ binaries: videoBinaries(), tempDir: path.join(work, 'uploads'), timeoutMs: 30_000, maxDurationSeconds: 60, maxPixels: 3840 * 2160, fps: 4, maxFrames: 40, maxSide: 640 });
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('verifyVideo pipeline, embedded models only', () => {
  let registry: ModelRegistry;
  let verify: VerifyVideo;
  const results = new Map<string, VideoVerification>();
  const run = async (video: string, selfie: Uint8Array, id?: Uint8Array) => verify({ video: file(video), selfie, ...(id ? { id } : {}) });
  beforeAll(async () => {
    registry = await ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS);
    verify = createVerifyVideo(registry, { maxImagePixels: 25_000_000, readVideo });
  });
  afterAll(async () => registry?.dispose());

  it('the Hamilton clip matches lin_manuel_miranda (selfie and id) and not obama, biden, kit_harington or rose_leslie', async () => {
    const lin = await run(HAMILTON, identity('lin_manuel_miranda/lin-manuel-miranda.png'), identity('obama/obama.jpg'));
    results.set('hamilton', lin);
    expect(lin.durationSeconds).toBeCloseTo(10.02, 1);
    expect(lin.framesSampled).toBe(40);
    expect(lin.faceMatch.score).toBeGreaterThanOrEqual(60);
    expect(lin.idMatch!.score).toBeLessThan(5); // the id here is Obama's photo
    for (const other of ['biden/biden.jpg', 'kit_harington/john1.jpeg', 'rose_leslie/img1.jpg']) {
      const { faceMatch } = await run(HAMILTON, identity(other));
      expect(faceMatch.score, other).toBeLessThan(20);
      expect(faceMatch.distance, other).toBeGreaterThan(lin.faceMatch.distance + 0.1);
    }
    // The clip shows two people (Lin-Manuel Miranda and Alex Lacamoire, labels/videos.csv), so it is not one identity.
    expect(lin.signals.identity.consistent).toBe(false);
    expect(lin.livenessScore).toBe(0);
    expect(lin.bestFrame.jpeg.subarray(0, 2)).toEqual(new Uint8Array([0xff, 0xd8]));
  });

  it('tranvanluyt real.mp4 scores live, fake.mp4 (its replay) spoof', async () => {
    const selfie = file('liveness/tranvanluyt/live/' + 'real.mp4105.png');
    const real = await run('videos/liveness_tranvanluyt/real.mp4', selfie);
    const fake = await run('videos/liveness_tranvanluyt/fake.mp4', selfie);
    results.set('real', real).set('fake', fake);
    console.log('embedded', JSON.stringify({ real: real.signals, fake: fake.signals }, (k, v) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v)));
    expect(real.livenessScore).toBeGreaterThanOrEqual(50);
    expect(fake.livenessScore).toBeLessThan(50);
    expect(real.signals.identity.consistent).toBe(true);
    expect(real.signals.headMotion.moved).toBe(true);
    expect(real.faceMatch.score).toBeGreaterThanOrEqual(50);
  });

  it('a face swap mid-video (Hamilton clip, then the tranvanluyt recording) breaks identity: liveness 0', async () => {
    const joined = path.join(work, 'swap.mp4');
    const ffmpeg = videoBinaries().ffmpeg;
    // Both halves scaled to one size and joined (concat filter), 5 s each.
    execFileSync(ffmpeg, ['-v', 'error', '-y', '-t', '5', '-i', sharedData('videos/liveness_tranvanluyt/real.mp4'), '-ss', '3', '-t', '5', '-i', sharedData(HAMILTON),
      '-filter_complex', '[0:v]scale=360:640,setsar=1,fps=30[a];[1:v]scale=360:640,setsar=1,fps=30[b];[a][b]concat=n=2:v=1[v]', '-map', '[v]', '-c:v', 'libx264', '-preset', 'ultrafast', joined]);
    const swap = await verify({ video: new Uint8Array(readFileSync(joined)), selfie: file('liveness/tranvanluyt/live/real.mp4105.png') });
    expect(swap.signals.identity.consistent).toBe(false);
    expect(swap.signals.identity.sameShare).toBeLessThan(0.8);
    expect(swap.livenessScore).toBe(0);
  });
});

describe('verifyVideo pipeline with the MiniFASNet pack', () => {
  let models: Awaited<ReturnType<typeof registryWithPacks>> | undefined;
  let verify: VerifyVideo;
  beforeAll(async () => {
    models = await registryWithPacks(['minifasnet-v2', 'minifasnet-v1se'], 'verify-video-packs-');
    verify = createVerifyVideo(models.registry, { maxImagePixels: 25_000_000, readVideo });
  });
  afterAll(async () => models?.dispose());

  it('real.mp4 scores live (≥ 70: approved by the default rules), fake.mp4 spoof (< 40: declined)', async () => {
    const selfie = file('liveness/tranvanluyt/live/real.mp4105.png');
    const real = await verify({ video: file('videos/liveness_tranvanluyt/real.mp4'), selfie });
    const fake = await verify({ video: file('videos/liveness_tranvanluyt/fake.mp4'), selfie });
    console.log('with pack', JSON.stringify({ real: real.livenessScore, fake: fake.livenessScore, realPassive: real.signals.passive, fakePassive: fake.signals.passive }));
    expect(real.livenessScore).toBeGreaterThanOrEqual(70);
    expect(fake.livenessScore).toBeLessThan(40);
  });
});
