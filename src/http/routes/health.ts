/**
 * Kubernetes-style probes beside the status / full report at GET /health (app.ts), for anyone, with no key:
 *   GET /health/live    200 {"status":"ok"} whenever the process can answer at all
 *   GET /health/ready   200 {"status":"ready", checks} when the models are loaded, the store is writable and the
 *                       process is not draining; otherwise 503 {"status":"not_ready", checks}
 * Kubernetes counts any 200–399 answer as success and anything else, or no answer within the probe's
 * timeoutSeconds (default 1 s), as failure ("Configure Liveness, Readiness and Startup Probes", kubernetes.io). A
 * failed liveness probe restarts the container, so /health/live checks nothing a restart would not fix and stays
 * 200 while draining (a restart then would cut the requests that are finishing); a failed readiness probe only takes
 * the pod out of the Service's endpoints, which is what draining and a read-only store need.
 * The answers name the checks and whether each passed, never why (paths and errno codes go to the log): like the
 * plain /health, they are for anyone (issue #13).
 */
import { randomUUID } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import type { ModelRegistry } from '../../inference/registry.js';

/** Resolves when the store can take a write now; rejects with the reason (logged, never sent) when it cannot. */
export type StoreWritableProbe = () => Promise<void>;

export interface HealthProbeDeps {
  /** The loaded model set: ready needs at least one model (main.ts creates the app only after loading and warming them). */
  registry: Pick<ModelRegistry, 'list'>;
  /** False once the process is draining (after SIGTERM); absent = never draining. */
  ready?: () => boolean;
  /** Whether the store (database, media and crop folders) takes writes; absent = not checked, and not listed. */
  storeWritable?: StoreWritableProbe;
  /** Where a failed or recovered store check is reported; default console.error. */
  log?: (message: string) => void;
  /** Clock, ms since the epoch (the probe's result is reused for STORE_PROBE_REUSE_MS). */
  now?: () => number;
}

/** The readiness answer: `checks.storeWritable` only when a store probe is configured. */
export interface ReadinessBody {
  status: 'ready' | 'not_ready';
  checks: { modelsLoaded: boolean; storeWritable?: boolean; draining: boolean };
}

/**
 * A store check that has not answered by then counts as failed, ms: under Kubernetes' default probe timeout (1 s), so
 * a hung disk (an NFS mount gone away) gives a 503 that names the check instead of a probe timeout that names nothing.
 */
export const STORE_PROBE_TIMEOUT_MS = 800;

/**
 * A store check's result is reused this long, ms: the probes need no key, so a flood of them must not become a flood
 * of disk writes; Kubernetes' default periodSeconds is 10 s, so a probe never sees an older result than this.
 */
export const STORE_PROBE_REUSE_MS = 1000;

/**
 * A StoreWritableProbe over folders: in each, creates a file of its own (O_EXCL), writes a byte, fdatasync(2)s it
 * and deletes it. That is what a media or crop upload does (temp file, fsync, rename), so a read-only remount
 * (EROFS), lost permissions (EACCES), a full disk (ENOSPC, as far as one block shows it) or a missing folder fails
 * the check. It does not take SQLite's write lock: a long write transaction would then fail readiness for no fault.
 */
export function writableDirectoriesProbe(directories: readonly string[]): StoreWritableProbe {
  return async function writableDirectories() {
    for (const directory of directories) {
      const file = path.join(directory, `.ready-probe-${process.pid}-${randomUUID()}`);
      try {
        const handle = await open(file, 'wx');
        try {
          await handle.write(new Uint8Array([0x2e]));
          await handle.datasync();
        } finally {
          await handle.close();
        }
        await unlink(file);
      } catch (error) {
        await unlink(file).catch(() => {});
        throw new Error(`${directory} is not writable: ${(error as Error).message}`, { cause: error });
      }
    }
  };
}

/** `probe` bounded by STORE_PROBE_TIMEOUT_MS: resolves true when it passed, false (and the reason) otherwise. */
async function timedProbe(probe: StoreWritableProbe): Promise<{ ok: true } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${STORE_PROBE_TIMEOUT_MS} ms`)), STORE_PROBE_TIMEOUT_MS);
    timer.unref();
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export function healthProbesRoute(deps: HealthProbeDeps): Hono {
  const route = new Hono();
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((message: string) => console.error(message));
  const storeProbe = deps.storeWritable;
  /** The last store check (reused for STORE_PROBE_REUSE_MS) or the one running (shared by concurrent probes). */
  let lastCheck: { at: number; result: Promise<boolean> } | undefined;
  let lastOk: boolean | undefined;

  const storeWritable = (probe: StoreWritableProbe): Promise<boolean> => {
    const at = now();
    if (lastCheck && at - lastCheck.at < STORE_PROBE_REUSE_MS) return lastCheck.result;
    const result = timedProbe(probe).then((outcome) => {
      // Said when it changes, not at every probe: a pod probed every 10 s would otherwise log 8640 lines a day.
      if (!outcome.ok && lastOk !== false) log(`readiness: store not writable: ${outcome.reason}`);
      if (outcome.ok && lastOk === false) log('readiness: store writable again');
      lastOk = outcome.ok;
      return outcome.ok;
    });
    lastCheck = { at, result };
    return result;
  };

  route.get('/health/live', function liveness(c) {
    return c.json({ status: 'ok' }, 200);
  });

  route.get('/health/ready', async function readiness(c) {
    const draining = deps.ready !== undefined && !deps.ready();
    const modelsLoaded = deps.registry.list().length > 0;
    const checks: ReadinessBody['checks'] = storeProbe ? { modelsLoaded, storeWritable: await storeWritable(storeProbe), draining } : { modelsLoaded, draining };
    const ready = modelsLoaded && checks.storeWritable !== false && !draining;
    // RFC 9110 §15.6.4: 503, the server cannot handle requests now; a load balancer's probe takes it out of rotation.
    return c.json<ReadinessBody>({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });

  return route;
}
