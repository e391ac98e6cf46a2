/**
 * The job final-failure gap: a `session.process` job whose last attempt was interrupted by a crash is failed
 * at the next start without its handler running; the queue's onGiveUp hook (wired as in sessions-api.ts)
 * must then complete the session as needs_review, with its video.completed event, instead of leaving it
 * in_progress. Also: onGiveUp after a last attempt that threw, and its errors never make the job loop.
 */
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../store/database.js';
import type { Job } from '../store/job-queue.js';
import { SqliteJobQueue } from '../store/sqlite-job-queue.js';
import type { WebhookEventData, WebhookEventName } from '../store/webhooks.js';
import { createProcessSession, PROCESS_SESSION_JOB, type ProcessSessionPayload } from './process-session.js';
import { SqliteSessionRepository, type SessionRepository } from './session-repository.js';
import { applyUpload } from './session-state.js';

const quiet = () => {};
const T0 = 1_773_828_000_000;

async function recordedSession(sessions: SessionRepository) {
  const created = await sessions.create({ appId: 'kyc', externalId: null, redirectUrl: null, steps: ['selfie', 'video'], videoMaxDuration: 60, videoLanguage: 'en', expiresAt: T0 + 3_600_000 });
  const withSelfie = applyUpload(created, 'selfie', 'med_selfie', T0);
  expect(await sessions.update(created, withSelfie)).toBe(true);
  const recorded = applyUpload(withSelfie, 'video', 'med_video', T0, { givenAt: '2026-03-18T10:01:00Z', textVersion: 'v1', ip: '203.0.113.7', userAgent: 'ua' });
  expect(await sessions.update((await sessions.get(created.id))!, recorded)).toBe(true);
  return created.id;
}

describe('session.process give-up (SqliteJobQueue onGiveUp)', () => {
  it('a crash during the last attempt: at restart the job fails and the session completes as needs_review, once', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'give-up-')), 'store.sqlite');
    const db = openDatabase(file);
    const sessions = new SqliteSessionRepository(db, () => T0);
    const events: { event: WebhookEventName; data: WebhookEventData }[] = [];
    const verifyVideo = vi.fn(async () => {
      throw new Error('must not run');
    });
    const processSession = createProcessSession({
      sessions,
      media: {} as never,
      verifyVideo,
      rules: { current: () => ({}) as never },
      webhooks: { emit: (_appId, event, data) => (events.push({ event, data }), 'whk_1') },
      maxAttempts: 2,
      now: () => T0 + 5000,
      log: quiet,
    });
    const queueOptions = {
      db,
      maxAttempts: 2,
      log: quiet,
      onGiveUp: async (job: Job) => {
        if (job.type === PROCESS_SESSION_JOB) await processSession.giveUp(job.payload as ProcessSessionPayload, job);
      },
    };
    const sessionId = await recordedSession(sessions);
    const queue = new SqliteJobQueue(queueOptions);
    const jobId = await queue.enqueue<ProcessSessionPayload>(PROCESS_SESSION_JOB, { sessionId });
    // The previous process claimed the job for its last attempt and died while running it.
    db.prepare("UPDATE jobs SET state = 'running', attempts = 2 WHERE id = ?").run(jobId);
    expect((await sessions.get(sessionId))!.status).toBe('in_progress');

    queue.handle(PROCESS_SESSION_JOB, processSession);
    await queue.start();
    await queue.stop();
    expect(await queue.get(jobId)).toMatchObject({ state: 'failed', lastError: expect.stringMatching(/interrupted/) });
    expect(verifyVideo).not.toHaveBeenCalled();
    expect(await sessions.get(sessionId)).toMatchObject({ status: 'completed', result: 'needs_review', resultReason: expect.stringMatching(/review/), completedAt: T0 + 5000 });
    expect(events).toEqual([{ event: 'video.completed', data: expect.objectContaining({ session_id: sessionId, status: 'completed' }) }]);

    // Idempotent: a crash between the give-up and the `failed` write calls it again; nothing changes.
    db.prepare("UPDATE jobs SET state = 'running' WHERE id = ?").run(jobId);
    const again = new SqliteJobQueue(queueOptions);
    await again.start();
    await again.stop();
    expect((await again.get(jobId))!.state).toBe('failed');
    expect(events).toHaveLength(1);
    db.close();
  });

  it('is called when the last attempt throws (not before), and a failing onGiveUp still fails the job', async () => {
    const clock = { ms: 0 };
    const gaveUp: Job[] = [];
    const logs: string[] = [];
    const queue = new SqliteJobQueue({
      db: openDatabase(':memory:'),
      clock: () => clock.ms,
      maxAttempts: 2,
      backoffBaseMs: 10,
      log: (m) => logs.push(m),
      onGiveUp: (job) => {
        gaveUp.push(job);
        throw new Error('give-up broke');
      },
    });
    queue.handle('always.fails', async () => {
      throw new Error('boom');
    });
    const id = await queue.enqueue('always.fails', { n: 1 });
    await queue.runDue();
    expect(gaveUp).toEqual([]);
    clock.ms = 10;
    await queue.runDue();
    expect(gaveUp).toEqual([expect.objectContaining({ id, state: 'failed', attempts: 2, lastError: 'boom', payload: { n: 1 } })]);
    expect(await queue.get(id)).toMatchObject({ state: 'failed', lastError: 'boom' });
    expect(logs.some((m) => /onGiveUp failed: Error: give-up broke/.test(m))).toBe(true);
  });
});
