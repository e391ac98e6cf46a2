/**
 * Builds the liveness API's dependencies from the parsed config: caller apps (or the embedded default
 * app with a one-time random key), hot-reloaded decision rules, limits, the crop store and the link
 * signer. Kept out of main.ts so the wiring is testable.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { RulesFile } from './rules-file.js';
import type { CheckLiveness } from '../pipeline/types.js';
import type { ImageStore } from '../store/image-store.js';
import { LocalImageStore } from '../store/local-image-store.js';
import { PostgresDatabase, postgresUnavailable } from '../store/postgres.js';
import { S3ImageStore } from '../store/s3-image-store.js';
import { createS3Client } from '../store/s3-media-store.js';
import { AppRegistry } from '../http/apps.js';
import { ConcurrencyLimiter } from '../http/concurrency.js';
import { RateLimiter } from '../http/middleware/rate-limit.js';
import type { CheckLivenessDeps } from '../http/routes/check-liveness.js';
import { UrlSigner } from '../http/signed-url.js';

type AppsConfig = Pick<Config, 'appsFile' | 'secretsKey'>;

type LivenessConfig = AppsConfig &
  Pick<Config, 'rulesFile' | 'concurrency' | 'queueSize' | 'bodyLimitBytes' | 'signingSecret' | 'urlTtlSeconds' | 'publicBaseUrl' | 'croppedImageDir'>;

type CropStoreConfig = Pick<Config, 'croppedImageDir' | 'urlTtlSeconds' | 'database' | 's3'>;

/**
 * PostgreSQL connections the crop index keeps at most, per replica: a crop is one INSERT on put and one SELECT on
 * get, so two suffice beside the sessions' pool (DATABASE_MAX_CONNECTIONS); README "Deployment" counts them.
 */
const CROP_INDEX_CONNECTIONS = 2;

/**
 * The store behind croppedImageUrl: with DATABASE_URL (which needs S3_BUCKET), the shared bucket indexed in
 * PostgreSQL (S3ImageStore), so any replica serves a crop any replica made; otherwise files in CROPPED_IMAGE_DIR
 * (LocalImageStore), as for one process. Crops live URL_TTL_SECONDS either way. A database out of reach fails with
 * STORE_UNAVAILABLE.
 */
export async function openCroppedImageStore(config: CropStoreConfig, log: (message: string) => void = (m) => console.warn(m)): Promise<ImageStore> {
  const ttlMs = config.urlTtlSeconds * 1000;
  if (!config.database || !config.s3) return new LocalImageStore({ dir: config.croppedImageDir, ttlMs, log });
  const db = new PostgresDatabase(config.database.url.connectionString(), { maxConnections: CROP_INDEX_CONNECTIONS, log });
  const client = createS3Client(config.s3);
  try {
    return await S3ImageStore.open({
      db,
      ownsDatabase: true,
      client,
      bucket: config.s3.bucket,
      keyPrefix: config.s3.keyPrefix,
      ttlMs,
      presignedReads: config.s3.publicUrls === 'presigned',
      log,
    });
  } catch (error) {
    client.destroy();
    await db.close().catch(() => undefined);
    throw postgresUnavailable(config.database.url.toString(), error);
  }
}

/** The caller apps: APPS_FILE with its encrypted keys decrypted, or the embedded default app. */
export interface LoadedApps {
  apps: AppRegistry;
  /** The embedded default app's key when there is no APPS_FILE (also logged once): for in-process callers such as the bench. */
  embeddedAppKey?: string;
}

/**
 * Reads APPS_FILE and decrypts its encrypted appKeys with SECRETS_KEY, or makes the embedded default app. main.ts calls
 * it before loading models, so a wrong or missing SECRETS_KEY stops start-up at once (CONFIG_INVALID), not after the
 * models have loaded.
 */
export function loadApps(config: AppsConfig, log: (message: string) => void = (m) => console.log(m)): LoadedApps {
  if (config.appsFile) return { apps: AppRegistry.fromFile(config.appsFile, config.secretsKey) };
  const embedded = AppRegistry.withDefaultApp();
  // Printed once; it exists only in this process's memory. Set APPS_FILE for fixed credentials.
  log(`no APPS_FILE: embedded app appId=default appKey=${embedded.appKey} (new on every start)`);
  return { apps: embedded.registry, embeddedAppKey: embedded.appKey };
}

export function createLivenessApi(
  config: LivenessConfig,
  checkLiveness: CheckLiveness,
  log: (message: string) => void = (m) => console.log(m),
  loaded: LoadedApps = loadApps(config, log),
  /** The crop store (openCroppedImageStore); owned from here on (closed by `close`). Default: files in CROPPED_IMAGE_DIR. */
  croppedImages: ImageStore = new LocalImageStore({ dir: config.croppedImageDir, ttlMs: config.urlTtlSeconds * 1000, log }),
): {
  deps: CheckLivenessDeps;
  close: () => Promise<void>;
  /** The embedded default app's key when there is no APPS_FILE (also logged once): for in-process callers such as the bench. */
  embeddedAppKey?: string;
} {
  const { apps, embeddedAppKey } = loaded;
  if (!config.signingSecret) log('no SIGNING_SECRET: croppedImageUrl links are signed with a random per-process secret and die on restart');
  const deps: CheckLivenessDeps = {
    checkLiveness,
    apps,
    rateLimiter: new RateLimiter(),
    concurrency: new ConcurrencyLimiter(config.concurrency, config.queueSize),
    bodyLimitBytes: config.bodyLimitBytes,
    rules: new RulesFile(config.rulesFile, { log }),
    croppedImages,
    signer: new UrlSigner(config.signingSecret ?? randomBytes(32), config.urlTtlSeconds),
    ...(config.publicBaseUrl !== undefined ? { publicBaseUrl: config.publicBaseUrl } : {}),
  };
  return { deps, close: () => croppedImages.close(), ...(embeddedAppKey !== undefined ? { embeddedAppKey } : {}) };
}
