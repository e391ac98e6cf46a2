/** Per-request values the API middleware share (Hono context variables). */
import type { Logger } from 'pino';
import type { AppDefinition } from './apps.js';

/** What a use case decided, for the access log and the metrics (set by the route that answered). */
export interface RequestOutcome {
  /** Which API decided: checkLiveness, matchFace, verifyVideo. */
  api: string;
  /** The liveness verdict, where the API gives one: `yes`/`no` and its confidence. */
  liveness?: { value: 'yes' | 'no'; confidence: string };
  /** The summary's action (pass, fail, manualReview; verifyVideo: approved, declined, needs_review). */
  action?: string;
}

export interface ApiEnv {
  Variables: {
    /** Ours, UUID v4, set first on every request (middleware/request-telemetry.ts) and returned as metadata.requestId. */
    requestId: string;
    /** This request's logger (its lines carry the requestId). */
    log: Logger;
    /** The authenticated caller app (set by the credentials middleware). */
    app: AppDefinition;
    /** The stable code of the error this request failed with (src/errors.ts), set where the error is answered. */
    errorCode?: string;
    /** What the use case decided, set by the route that answered. */
    outcome?: RequestOutcome;
  };
}
