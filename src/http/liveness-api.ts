/**
 * Builds the liveness API's dependencies from the parsed config: caller apps (or the embedded default
 * app with a one-time random key), hot-reloaded decision rules, limits, the crop store and the link
 * signer. Kept out of main.ts so the wiring is testable.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { RulesFile } from '../pipeline/decision.js';
import type { CheckLiveness } from '../pipeline/types.js';
import { LocalImageStore } from '../store/local-image-store.js';
import { AppRegistry } from './apps.js';
import { ConcurrencyLimiter } from './concurrency.js';
import { RateLimiter } from './middleware/rate-limit.js';
import type { CheckLivenessDeps } from './routes/check-liveness.js';
import { UrlSigner } from './signed-url.js';

type LivenessConfig = Pick<
  Config,
  'appsFile' | 'rulesFile' | 'concurrency' | 'queueSize' | 'bodyLimitBytes' | 'signingSecret' | 'urlTtlSeconds' | 'publicBaseUrl' | 'croppedImageDir'
>;

export function createLivenessApi(
  config: LivenessConfig,
  checkLiveness: CheckLiveness,
  log: (message: string) => void = (m) => console.log(m),
): { deps: CheckLivenessDeps; close: () => Promise<void> } {
  let apps: AppRegistry;
  if (config.appsFile) {
    apps = AppRegistry.fromFile(config.appsFile);
  } else {
    const embedded = AppRegistry.withDefaultApp();
    apps = embedded.registry;
    // Printed once; it exists only in this process's memory. Set APPS_FILE for fixed credentials.
    log(`no APPS_FILE: embedded app appId=default appKey=${embedded.appKey} (new on every start)`);
  }
  if (!config.signingSecret) log('no SIGNING_SECRET: croppedImageUrl links are signed with a random per-process secret and die on restart');
  const croppedImages = new LocalImageStore({ dir: config.croppedImageDir, ttlMs: config.urlTtlSeconds * 1000 });
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
  return { deps, close: () => croppedImages.close() };
}
