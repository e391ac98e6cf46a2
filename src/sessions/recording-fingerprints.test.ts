import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.js';
import { type FingerprintMatcher, SqliteRecordingFingerprintRepository } from './recording-fingerprints.js';

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** A kept fingerprint matches when its first byte is `a`'s (the real comparison is the pipeline's; this tests the store). */
const sameFirstByte = (a: Uint8Array): FingerprintMatcher => (b) => (a[0] === b[0] ? { similarity: 0.9 } : null);

function repository() {
  let now = 1_000;
  const db = openDatabase(':memory:');
  closers.push(() => db.close());
  return { repo: new SqliteRecordingFingerprintRepository(db, () => now), advance: (ms: number) => (now += ms) };
}

describe('RecordingFingerprintRepository', () => {
  it("finds the newest matching recording of the app's other sessions, never the session itself nor another app's", async () => {
    const { repo, advance } = repository();
    await repo.record('ses_a', 'kyc', new Uint8Array([1, 0]), null);
    advance(10);
    await repo.record('ses_b', 'kyc', new Uint8Array([1, 1]), null);
    await repo.record('ses_c', 'other', new Uint8Array([2, 0]), null);
    expect(await repo.findReplayed('kyc', 'ses_new', sameFirstByte(new Uint8Array([1, 9])))).toEqual({ sessionId: 'ses_b', similarity: 0.9 });
    expect(await repo.findReplayed('kyc', 'ses_new', sameFirstByte(new Uint8Array([2, 9])))).toBeNull();
    expect(await repo.findReplayed('kyc', 'ses_b', sameFirstByte(new Uint8Array([1, 1])))).toEqual({ sessionId: 'ses_a', similarity: 0.9 });
    expect(await repo.findReplayed('kyc', 'ses_new', sameFirstByte(new Uint8Array([3])))).toBeNull();
  });

  it('keeps the fingerprint with what it replayed; a re-processed video replaces its own row', async () => {
    const { repo } = repository();
    await repo.record('ses_b', 'kyc', new Uint8Array([1, 2, 3]), { sessionId: 'ses_a', similarity: 0.97 });
    expect(await repo.forSession('ses_b')).toEqual({ sessionId: 'ses_b', appId: 'kyc', createdAt: 1_000, fingerprint: new Uint8Array([1, 2, 3]), replayOf: { sessionId: 'ses_a', similarity: 0.97 } });
    await repo.record('ses_b', 'kyc', new Uint8Array([4]), null);
    expect(await repo.forSession('ses_b')).toMatchObject({ fingerprint: new Uint8Array([4]), replayOf: null });
    expect(await repo.forSession('ses_x')).toBeUndefined();
  });
});
