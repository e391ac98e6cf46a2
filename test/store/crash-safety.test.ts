/**
 * Crash safety of LocalMediaStore.put (issue #6): a child process streams an upload and is killed with
 * SIGKILL (no cleanup code runs) at each stage of the put; the store reopened afterwards must show no
 * half file, no row without its file and no file without its row, and must keep items stored before.
 * Each case first checks that the child really was at that stage (else the test proves nothing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { LocalMediaStore } from '../../src/store/local-media-store.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/slow-put.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FULL_BYTES = 64 * 16 * 1024;
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

/** Starts the fixture and resolves with the first stdout line (the stage it stopped at). */
function startChild(dbFile: string, dir: string, stopAt: string): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dbFile, dir, stopAt], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, line }));
    child.once('exit', (code) => reject(new Error(`fixture exited (${code}) before reporting: ${stderr}`)));
  });
}

const kill = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((resolve) => {
    child.once('exit', (_code, signal) => resolve(signal));
    child.kill('SIGKILL');
  });

const ids = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('med_')).sort();
const rowIds = (dbFile: string) => {
  const db = openDatabase(dbFile);
  try {
    return (db.prepare('SELECT id FROM media ORDER BY id').all() as { id: string }[]).map((row) => row.id);
  } finally {
    db.close();
  }
};

describe('LocalMediaStore survives kill -9 during a put', () => {
  it.each([
    { stopAt: 'streaming', recovered: { tempFiles: 1, orphanFiles: 0, orphanRows: 0 } },
    { stopAt: 'before-rename', recovered: { tempFiles: 1, orphanFiles: 0, orphanRows: 0 } },
    { stopAt: 'after-rename', recovered: { tempFiles: 0, orphanFiles: 1, orphanRows: 0 } },
    { stopAt: 'done', recovered: { tempFiles: 0, orphanFiles: 0, orphanRows: 0 } },
  ])('killed at $stopAt: no half file, no orphan row or file, earlier items intact', async ({ stopAt, recovered }) => {
    const root = mkdtempSync(path.join(tmpdir(), 'crash-'));
    const dbFile = path.join(root, 'store.sqlite');
    const dir = path.join(root, 'media');
    const seedDb = openDatabase(dbFile);
    const earlier = await new LocalMediaStore({ db: seedDb, dir }).put(JPEG, { kind: 'image', appId: 'a', maxBytes: 100, retentionMs: 60_000 });
    seedDb.close();

    const { child, line } = await startChild(dbFile, dir, stopAt);
    try {
      // Where the child stands right before the kill.
      const parts = readdirSync(path.join(dir, 'tmp'));
      if (stopAt === 'streaming' || stopAt === 'before-rename') {
        expect(parts).toHaveLength(1);
        const part = path.join(dir, 'tmp', parts[0]!);
        // The source runs ahead of the writes (stream buffering): wait for the first bytes to land.
        if (stopAt === 'streaming') await vi.waitFor(() => expect(statSync(part).size).toBeGreaterThan(0), { timeout: 5000 });
        const size = statSync(part).size;
        if (stopAt === 'streaming') expect(size).toBeGreaterThan(0);
        if (stopAt === 'streaming') expect(size).toBeLessThan(FULL_BYTES);
        else expect(size).toBe(FULL_BYTES);
        expect(ids(dir)).toEqual([earlier.id]);
      } else {
        expect(parts).toEqual([]);
        expect(ids(dir)).toHaveLength(2);
        const newId = line.split(/[ /]/).at(-1)!;
        expect(statSync(path.join(dir, newId)).size).toBe(FULL_BYTES);
        expect(rowIds(dbFile)).toEqual(stopAt === 'done' ? [earlier.id, newId].sort() : [earlier.id]);
      }
    } finally {
      expect(await kill(child)).toBe('SIGKILL');
    }

    const db = openDatabase(dbFile);
    const store = new LocalMediaStore({ db, dir, log: () => {} });
    expect(store.recovered).toEqual(recovered);
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    // Every file has its row and every row its file.
    const rows = (db.prepare('SELECT id, bytes FROM media ORDER BY id').all() as { id: string; bytes: number }[]);
    expect(rows.map((row) => row.id)).toEqual(ids(dir));
    for (const row of rows) expect(statSync(path.join(dir, row.id)).size).toBe(row.bytes);
    expect(rows).toHaveLength(stopAt === 'done' ? 2 : 1);
    expect(await store.get(earlier.id)).toEqual(earlier);
    db.close();
  });
});
