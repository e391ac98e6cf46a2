/** Per-request values the API middleware share (Hono context variables). */
import type { AppDefinition } from './apps.js';

export interface ApiEnv {
  Variables: {
    /** Ours, UUID v4, set first on every /v1 request and returned as metadata.requestId. */
    requestId: string;
    /** The authenticated caller app (set by the credentials middleware). */
    app: AppDefinition;
  };
}
