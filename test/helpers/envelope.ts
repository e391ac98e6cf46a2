/** Reading the HyperVerge-style JSON envelope in contract tests. */
import { expect } from 'vitest';

/** A random UUID v4, as every response's metadata.requestId must be. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export async function json(res: Response): Promise<Record<string, any>> {
  return (await res.json()) as Record<string, any>;
}

/** The body minus the random requestId, after checking it is a UUID v4. */
export async function withoutRequestId(res: Response): Promise<Record<string, any>> {
  const body = await json(res);
  expect(body.metadata.requestId).toMatch(UUID);
  delete body.metadata.requestId;
  return body;
}
