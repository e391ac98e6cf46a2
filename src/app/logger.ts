/**
 * The service's logger: pino, one JSON line per event on stdout (issue #19). LOG_LEVEL sets the threshold; when stdout
 * is a terminal and pino-pretty is installed (a dev dependency), lines are pretty-printed for a person instead.
 *
 * Secrets never reach a line: pino's `redact` censors the keys below wherever a logged object carries them (app keys,
 * secrets, signatures, the Authorization and vendor credential headers), and the access log writes the path without
 * its query string, so a signed link's `signature` is never logged. The one deliberate exception is the embedded
 * default app's one-time key, printed once at start when there is no APPS_FILE (README "Credentials"): it is the only
 * way to learn it, and a deployment with APPS_FILE never prints a key.
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config.js';

export type { Logger };

/**
 * Field paths pino censors (fast-redact syntax: `*` is one level of any key). The names are the credential fields of
 * the vendor contracts (HyperVerge `appKey`, ADVANCE.AI `secretKey`/`signature`, Tencent's TC3 `Authorization`) and of
 * this service (`signingSecret`, `webhookSecret`, `token`).
 */
export const REDACTED_PATHS: readonly string[] = Object.freeze([
  'appKey',
  '*.appKey',
  'secretKey',
  '*.secretKey',
  'signature',
  '*.signature',
  'signingSecret',
  '*.signingSecret',
  'webhookSecret',
  '*.webhookSecret',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.appkey',
  'req.headers["x-tc-authorization"]',
]);

export const REDACTED = '[redacted]';

function prettyInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** `destination`: where lines go (tests capture them); default stdout, pretty on a terminal. */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    // ISO time and the level's name: readable in a raw line and parsed by every log shipper without a mapping.
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY && prettyInstalled()) return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } });
  return pino(options);
}
