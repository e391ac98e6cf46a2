import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalImageStore } from './local-image-store.js';

describe('LocalImageStore', () => {
  const setup = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'store-'));
    const clock = { ms: Date.now() };
    return { dir, clock, store: new LocalImageStore({ dir, ttlMs: 1000, sweepIntervalMs: 0, now: () => clock.ms }) };
  };

  it('stores under a UUID, leaves no temp file, and reads back', async () => {
    const { dir, store } = setup();
    const id = await store.put(new Uint8Array([1, 2, 3]), 'image/jpeg');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(readdirSync(dir)).toEqual([`${id}.jpg`]);
    expect(await store.get(id)).toEqual({ bytes: new Uint8Array([1, 2, 3]), contentType: 'image/jpeg' });
  });

  it('refuses malformed ids (no path traversal) and unknown ids', async () => {
    const { store } = setup();
    expect(await store.get('../../etc/passwd')).toBeUndefined();
    expect(await store.get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('expires by TTL and sweeps old files, temp leftovers included', async () => {
    const { dir, clock, store } = setup();
    const id = await store.put(new Uint8Array([1]), 'image/png');
    writeFileSync(path.join(dir, '.crashed.tmp'), 'half');
    clock.ms += 5000;
    expect(await store.get(id)).toBeUndefined();
    expect(await store.sweep()).toBe(2);
    expect(existsSync(path.join(dir, `${id}.png`))).toBe(false);
    await store.close();
  });
});
