export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });

/** Exponential backoff with full jitter, capped. attempt starts at 1. */
export const backoffMs = (attempt: number, baseMs = 50, capMs = 5_000): number =>
  Math.round(Math.random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));
