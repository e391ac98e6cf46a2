/**
 * Time-limited TURN credentials for one side of a live call (README "Live agent mode", coturn): coturn's REST API
 * scheme (draft-uberti-behave-turn-rest-00 §2.2; coturn `use-auth-secret` + `static-auth-secret`). The service and the
 * TURN server share a secret and nothing else: the username is `<expiry>:<user id>` (expiry in Unix seconds), the
 * password is base64(HMAC-SHA1(secret, username)); the TURN server recomputes the password from the username and
 * refuses it past its expiry. So every call gets its own credentials that stop working on their own, and a leaked
 * one is worth one call's lifetime instead of the static username and password of ICE_SERVERS.
 */
import { createHmac } from 'node:crypto';
import type { IceServer, TurnSettings } from '../config.js';

/** coturn's separator between the expiry and the user id (`--rest-api-separator`, default ':'). */
const REST_API_SEPARATOR = ':';

/**
 * The ICE server entry for `userId` with credentials valid until `nowMs` + the configured lifetime. `userId` names the
 * call and the side (coturn logs it, and may apply per-user quotas); it must not contain the separator.
 */
export function turnIceServer(turn: TurnSettings, userId: string, nowMs: number): IceServer & { username: string; credential: string } {
  if (userId.includes(REST_API_SEPARATOR)) throw new RangeError(`a TURN user id must not contain "${REST_API_SEPARATOR}" (coturn's REST API separator): ${userId}`);
  const expiresAt = Math.floor(nowMs / 1000) + turn.credentialTtlSeconds;
  const username = `${expiresAt}${REST_API_SEPARATOR}${userId}`;
  // draft-uberti-behave-turn-rest-00 §2.2: password = base64(HMAC(secret, username)), HMAC-SHA1 as coturn computes it.
  const credential = createHmac('sha1', turn.sharedSecret()).update(username).digest('base64');
  return { urls: [...turn.urls], username, credential };
}
