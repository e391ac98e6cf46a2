/** Schema pieces the OpenAPI files share (openapi.ts merges openapi-sessions.ts, openapi-facades.ts, openapi-service.ts). */

export const str = { type: 'string' };

/** A JSON response: its description and schema. */
export const json = (description: string, schema: unknown) => ({ description, content: { 'application/json': { schema } } });

/** A required JSON request body. */
export const jsonBody = (schema: unknown) => ({ required: true, content: { 'application/json': { schema } } });

/**
 * Verilock's error body `{error, message, details}` (http/contracts/verilock.ts), answered by the sessions API, the
 * webhook log and the capture page's selfie check; `errors`: the codes this route answers, when they are few.
 */
export const verilockError = (description: string, errors?: readonly string[]) =>
  json(description, {
    type: 'object',
    required: ['error', 'message'],
    properties: {
      error: errors ? { enum: errors } : { ...str, description: 'Stable code, e.g. not_found, validation_error, link_expired' },
      message: str,
      details: { type: ['object', 'null'] },
    },
  });
