/**
 * A Subprocess's pipe given to another child as stdio (or in `fds`), as in
 * `spawn('wc', ['-l'], { stdio: [a.stdout, 'pipe', 'pipe'] })`. From then on
 * the pipe is the other child's: if the parent went on reading `a.stdout`
 * into `a`'s result, it would take part of the bytes meant for `wc`.
 *
 * The parent's end is closed as soon as the other child has started, in the
 * same tick, before the event loop could read from it. A pipe the parent has
 * already read from cannot be handed over without losing what was read, so
 * that is refused (with `ERR_INVALID_ARG_VALUE`) before anything is started.
 */
import type { Readable, Writable } from 'node:stream';
import { invalidArgValue } from '../errors';

/** What the Subprocess that owns a pipe does when the pipe goes to another child. */
export type HandOverHook = (stream: Readable | Writable) => void;

const owners = new WeakMap<object, HandOverHook>();

/** Marks `stream` as the parent's end of a Subprocess's pipe. */
export function ownStream(stream: Readable | Writable, onHandedOver: HandOverHook): void {
  owners.set(stream, onHandedOver);
}

/**
 * Throws when `value` is a Subprocess pipe whose bytes the parent already
 * took (read from its stdout or stderr), or still has to write (its stdin).
 */
export function checkHandOver(value: object, name: string): void {
  if (!owners.has(value)) return;
  const { bytesRead } = value as { bytesRead?: number };
  if (typeof bytesRead === 'number' && bytesRead > 0) {
    throw invalidArgValue(
      name,
      `<Subprocess pipe, ${bytesRead} bytes already read>`,
      'is a Subprocess pipe the parent has already read from (those bytes would be lost to the new child); hand it over in the same tick the first child was started in',
    );
  }
  const pending = (value as Writable).writableLength;
  if (typeof pending === 'number' && pending > 0) {
    throw invalidArgValue(
      name,
      `<Subprocess stdin, ${pending} bytes not yet written>`,
      'is a Subprocess stdin with bytes the parent has not written yet (they would be lost); wait for them to drain first',
    );
  }
}

/** After the other child started: each Subprocess pipe among `streams` stops being the parent's. */
export function handOver(streams: readonly object[]): void {
  for (const stream of new Set(streams)) {
    const onHandedOver = owners.get(stream);
    if (onHandedOver === undefined) continue;
    owners.delete(stream);
    onHandedOver(stream as Readable | Writable);
  }
}
