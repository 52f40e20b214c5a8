/**
 * The engine of `map` and `imap`: reads the input lazily, a chunk at a
 * time, keeps at most `window` chunks in flight, and yields each chunk's
 * results (in input order, or as they complete). However it ends (input
 * done, an error, the consumer stopping early, an abort) it leaves nothing
 * running: chunks not started are withdrawn, running ones are waited for.
 */
import { Deque } from './deque';
import { abortError, type PoolTask } from './poolTask';

/** What the pool offers the engine. */
export interface ChunkSubmitter {
  /** Queues one chunk; throws when the pool takes no more tasks. */
  submit(items: unknown[]): { task: PoolTask; promise: Promise<unknown> };
  /** Withdraws a chunk that has not started (a running one is left to finish). */
  withdraw(task: PoolTask): void;
  /** Ends a chunk now with `error`, killing its worker when it is running. */
  abort(task: PoolTask, error: Error): void;
}

export interface ChunkStreamOptions {
  chunksize: number;
  ordered: boolean;
  window: number;
  signal: AbortSignal | undefined;
}

interface Entry {
  task: PoolTask;
  promise: Promise<unknown>;
  settled: boolean;
  value?: unknown;
  error?: Error;
}

function takeChunk(
  input: Iterator<unknown>,
  chunksize: number,
): { items: unknown[]; done: boolean } {
  const items: unknown[] = [];
  while (items.length < chunksize) {
    const next = input.next();
    if (next.done) return { items, done: true };
    items.push(next.value);
  }
  return { items, done: false };
}

export async function* chunkResults(
  input: Iterator<unknown>,
  pool: ChunkSubmitter,
  options: ChunkStreamOptions,
): AsyncGenerator<unknown[], void, undefined> {
  const { chunksize, ordered, window, signal } = options;
  const live = new Set<Entry>();
  const inOrder = new Deque<Entry>();
  const settled = new Deque<Entry>();
  let inputDone = false;
  let wake: (() => void) | null = null;
  const onAbort = (): void => {
    inputDone = true;
    for (const entry of live) pool.abort(entry.task, abortError(signal as AbortSignal));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal?.aborted) throw abortError(signal);
    for (;;) {
      while (!inputDone && live.size < window) {
        const chunk = takeChunk(input, chunksize);
        inputDone = chunk.done;
        if (chunk.items.length === 0) break;
        const entry: Entry = { ...pool.submit(chunk.items), settled: false };
        const done = (error?: Error, value?: unknown): void => {
          entry.settled = true;
          entry.error = error;
          entry.value = value;
          settled.push(entry);
          wake?.();
        };
        entry.promise.then(
          (value) => {
            done(undefined, value);
          },
          (error: unknown) => {
            done(error instanceof Error ? error : new Error(String(error)));
          },
        );
        live.add(entry);
        inOrder.push(entry);
      }
      if (live.size === 0) return;
      const next = ordered ? inOrder : settled;
      while (!next.peek()?.settled) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const entry = next.shift() as Entry;
      live.delete(entry);
      if (ordered) settled.remove(entry);
      else inOrder.remove(entry);
      if (entry.error) throw entry.error;
      yield entry.value as unknown[];
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    for (const entry of live) pool.withdraw(entry.task);
    await Promise.allSettled([...live].map((entry) => entry.promise));
  }
}
