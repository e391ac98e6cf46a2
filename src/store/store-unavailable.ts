/**
 * STORE_UNAVAILABLE (src/errors.ts): a store the service needs cannot be opened or reached. One message shape for all
 * of them, so an operator reads which store, what to check, and the underlying failure:
 * "<store> cannot be reached (check <settings>): <failure>".
 */
import { AppError } from '../errors.js';

export function storeUnavailable(store: string, check: string, error: unknown): AppError {
  return new AppError('STORE_UNAVAILABLE', `${store} cannot be reached (check ${check}): ${describeFailure(error)}`, { cause: error });
}

/**
 * An error's name and message, or what it carries when the message is empty: Node reports a refused connection to a
 * host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError with no message of its own.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(describeFailure).join('; ');
  if (error instanceof Error) {
    const message = error.message || (error as NodeJS.ErrnoException).code || '';
    // AWS SDK errors carry the S3 error code as their name (NoSuchBucket, AccessDenied …): keep it.
    return error.name !== 'Error' && !message.startsWith(error.name) ? `${error.name}${message ? `: ${message}` : ''}` : message || error.name;
  }
  return String(error);
}
