// The one bounded pool: the folder upload's files and folders, a file's parts, a download's
// ranges, a listing's pages and a bulk delete's items all run through it.

export interface PoolOptions {
  /** Once it aborts, no new item starts (those in flight are let finish). */
  signal?: AbortSignal | undefined;
  /** Called once, with the first error, while the others are still in flight (e.g. to abort them). */
  onFirstError?: (error: unknown) => void;
}

/**
 * Runs `work` over `items` in order, at most `limit` at once, and resolves to the results in the
 * items' order. After the first error, or once `signal` aborts, no new item starts; the pool
 * waits for those in flight (they clean up after themselves), then throws that first error.
 * An abort without an error resolves with the items not started left out: the caller checks
 * its signal.
 */
export async function runPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
  options: PoolOptions = {},
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  let firstError: { error: unknown } | null = null;
  const worker = async () => {
    while (next < items.length && firstError === null && !options.signal?.aborted) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, index);
      } catch (error) {
        if (firstError === null) {
          firstError = { error };
          options.onFirstError?.(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, Math.floor(limit)), items.length) }, worker));
  if (firstError !== null) throw (firstError as { error: unknown }).error;
  return results;
}
