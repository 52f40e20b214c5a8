/**
 * What bench/pool.mjs measures of a task pool, written against the smallest
 * interface a pool offers (submit one task, get a promise), so forkexec's
 * Pool, piscina or anything else with a `run` can be measured the same way.
 * Each function returns the median of `repeats` runs.
 */
import { summarize } from './stats';

/** Submits one task with `arg`; resolves with its value. */
export type Submit = (arg: unknown) => Promise<unknown>;

function now(): bigint {
  return process.hrtime.bigint();
}

function microsSince(start: bigint): number {
  return Number(now() - start) / 1e3;
}

async function medianOf(repeats: number, once: () => Promise<number>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) samples.push(await once());
  return summarize(samples).median;
}

/** µs per task when `count` trivial tasks are queued at once and awaited together. */
export function burstMicrosPerTask(submit: Submit, count: number, repeats = 3): Promise<number> {
  return medianOf(repeats, async () => {
    const start = now();
    const pending: Promise<unknown>[] = new Array<Promise<unknown>>(count);
    for (let i = 0; i < count; i++) pending[i] = submit(i);
    await Promise.all(pending);
    return microsSince(start) / count;
  });
}

/** µs per task when each task is awaited before the next is submitted. */
export function roundTripMicros(submit: Submit, count: number, repeats = 3): Promise<number> {
  return medianOf(repeats, async () => {
    const start = now();
    for (let i = 0; i < count; i++) await submit(i);
    return microsSince(start) / count;
  });
}

/** µs per item of `map(items)` (whatever chunking the given map does). */
export function mapMicrosPerItem(
  map: (items: number[]) => Promise<unknown[]>,
  count: number,
  repeats = 3,
): Promise<number> {
  const items = Array.from({ length: count }, (_, i) => i);
  return medianOf(repeats, async () => {
    const start = now();
    await map(items);
    return microsSince(start) / count;
  });
}

/** What streaming `count` items through an imap cost, and the parent's peak RSS while it ran. */
export interface StreamCost {
  microsPerItem: number;
  /** The process's peak resident set size, MiB (`process.resourceUsage().maxRSS`). */
  peakRssMiB: number;
  items: number;
}

/** Consumes `imap(source)` over `count` generated items (run it in a fresh process: RSS peaks never go down). */
export async function streamCost(
  imap: (source: Iterable<number>) => AsyncIterable<unknown>,
  count: number,
): Promise<StreamCost> {
  function* source(): Generator<number> {
    for (let i = 0; i < count; i++) yield i;
  }
  let items = 0;
  const start = now();
  const results = imap(source())[Symbol.asyncIterator]();
  while (!(await results.next()).done) items++;
  const microsPerItem = microsSince(start) / count;
  return { microsPerItem, peakRssMiB: process.resourceUsage().maxRSS / 1024, items };
}

/** Milliseconds to move `bytes` to a worker (`out`) and back (`back`), medians. */
export interface MoveCost {
  bytes: number;
  outMs: number;
  backMs: number;
}

/**
 * `sendBytes(buffer)` must send the buffer to a worker and resolve when it
 * has it; `fetchBytes(n)` must resolve with n bytes made by a worker.
 */
export async function moveCost(
  sendBytes: (buffer: Buffer) => Promise<unknown>,
  fetchBytes: (bytes: number) => Promise<unknown>,
  bytes: number,
  repeats = 3,
): Promise<MoveCost> {
  const buffer = Buffer.alloc(bytes, 1);
  const outMs = await medianOf(repeats, async () => {
    const start = now();
    await sendBytes(buffer);
    return microsSince(start) / 1e3;
  });
  const backMs = await medianOf(repeats, async () => {
    const start = now();
    await fetchBytes(bytes);
    return microsSince(start) / 1e3;
  });
  return { bytes, outMs, backMs };
}
