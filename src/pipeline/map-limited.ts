/**
 * Maps `items` through `fn` with at most `limit` calls in flight, results in input order. With limit 1 it is a
 * plain sequential loop. verifyVideo uses it to hand several frames to the dynamic batcher at once.
 * On the first failure no new call starts, and the promise rejects with that failure once the calls already
 * in flight have settled (so nothing keeps running after the caller has moved on).
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`mapLimited: limit expected an integer ≥ 1, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failure;
  return results;
}
