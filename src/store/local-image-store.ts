/**
 * ImageStore on the local disk: one file per image, written to a temp name, fsynced, then renamed, so
 * a crash never leaves a half file under a real id (rename is atomic within a directory, POSIX
 * rename(2)). Files older than the TTL are deleted by a periodic sweep and refused by `get`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ImageStore } from './image-store.js';

/** Ids are UUID v4: unguessable (122 random bits) and safe as file names (no path traversal). */
const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Content types this store writes, by file extension. */
const EXTENSIONS: Record<string, string> = { 'image/jpeg': '.jpg', 'image/png': '.png' };

export interface LocalImageStoreOptions {
  dir: string;
  /** How long an image is kept, milliseconds. */
  ttlMs: number;
  /** How often expired files are swept, milliseconds; 0 = no timer (call sweep()). Default 60 s. */
  sweepIntervalMs?: number;
  now?: () => number;
  /** Where a failed sweep is reported. Default console.warn. */
  log?: (message: string) => void;
}

export class LocalImageStore implements ImageStore {
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: LocalImageStoreOptions) {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.now = options.now ?? Date.now;
    const interval = options.sweepIntervalMs ?? 60_000;
    if (interval > 0) {
      this.timer = setInterval(() => void this.sweep().catch((e: unknown) => (options.log ?? ((m: string) => console.warn(m)))(`image store sweep failed: ${String(e)}`)), interval);
      this.timer.unref();
    }
  }

  async put(bytes: Uint8Array, contentType: string): Promise<string> {
    const extension = EXTENSIONS[contentType];
    if (!extension) throw new Error(`LocalImageStore: unsupported content type ${contentType}`);
    const id = randomUUID();
    const final = path.join(this.options.dir, id + extension);
    const temp = path.join(this.options.dir, `.${id}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, final);
    return id;
  }

  async get(id: string): Promise<{ bytes: Uint8Array; contentType: string } | undefined> {
    if (!ID_PATTERN.test(id)) return undefined;
    for (const [contentType, extension] of Object.entries(EXTENSIONS)) {
      const file = path.join(this.options.dir, id + extension);
      try {
        const info = await stat(file);
        if (this.now() - info.mtimeMs > this.options.ttlMs) return undefined;
        return { bytes: new Uint8Array(await readFile(file)), contentType };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return undefined;
  }

  /** Deletes images (and leftover temp files) older than the TTL; returns how many were removed. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.options.dir)) {
      const file = path.join(this.options.dir, name);
      try {
        const info = await stat(file);
        if (info.isFile() && this.now() - info.mtimeMs > this.options.ttlMs) {
          await unlink(file);
          removed += 1;
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
  }
}
