/**
 * Whether this process may fork and keep running JavaScript in the child.
 *
 * Only the forking thread exists in a child. V8's background threads (GC,
 * compiler) can hold locks or own jobs at that moment, and the child then
 * deadlocks or crashes; measured here, only V8 in single-threaded mode from
 * start-up (`node --single-threaded`) survived a fork soak. Worker threads
 * are threads too: their isolates would be half-present in the child.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';
import { isMainThread, type Worker } from 'node:worker_threads';
import { forkexecError, type CodedError } from '../errors';
import type { BusyThread, NativeBinding } from '../native';

/**
 * The node flags fork() needs on the running Node: V8 without background
 * threads from start-up. `--single-threaded` alone did that up to V8 13
 * (Node 24). V8 14 (Node 26) still posts every scavenge to the platform's
 * worker threads, and a forked child deadlocks on the copied task queue at
 * its first scavenge; with `--minor-ms` (the mark-sweep young generation) no
 * task is posted. test/node-internals.test.mjs checks, on each line, that no
 * platform worker thread wakes in this mode while the heap churns.
 */
export function safeModeFlags(v8Version: string = process.versions.v8): string[] {
  const major = Number(v8Version.split('.')[0]);
  return major >= 14 ? ['--single-threaded', '--minor-ms'] : ['--single-threaded'];
}

/** How to get the safe mode, quoted in every ERR_FORK_UNSAFE message. */
export function safeModeHint(): string {
  const flags = safeModeFlags().join(' ');
  return (
    `Start node with ${flags} (\`node ${flags} app.js\`, or the \`forkexec-node app.js\` launcher ` +
    'this package installs, which does that); NODE_OPTIONS does not accept --single-threaded.'
  );
}

/** The last of the flags on the command line wins: `--x`, `--x=true` on; `--no-x`, `--x=false` off. */
function flagOn(name: string, execArgv: readonly string[]): boolean {
  const base = name.replace(/^--/, '').replace(/[-_]/g, '[-_]');
  const on = new RegExp(`^--${base}(=true)?$`);
  const off = new RegExp(`^--no-${base}$|^--${base}=false$`);
  let state = false;
  for (const arg of execArgv) {
    if (on.test(arg)) state = true;
    else if (off.test(arg)) state = false;
  }
  return state;
}

/** The safe-mode flags this process was started without. */
export function missingSafeModeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return safeModeFlags().filter((flag) => !flagOn(flag, execArgv));
}

/**
 * Workers created after this module loaded. The diagnostics channel
 * 'worker_threads' is published in the Worker constructor, while its thread
 * starts, so a fork() in the same tick as `new Worker()` is refused too
 * (process 'worker' comes only with 'online'; it stays as the fallback where
 * the channel is missing). Earlier Workers are found by thread name below.
 */
const liveWorkers = new Set<Worker>();
function trackWorker(worker: Worker): void {
  if (liveWorkers.has(worker)) return;
  liveWorkers.add(worker);
  worker.once('exit', () => liveWorkers.delete(worker));
}
if (typeof diagnosticsChannel.subscribe === 'function') {
  diagnosticsChannel.subscribe('worker_threads', (message) => {
    trackWorker((message as { worker: Worker }).worker);
  });
}
process.on('worker', trackWorker);

/**
 * Worker threads by their thread name: Node 24 and later call them
 * 'WorkerThread' (earlier lines name every thread 'node'). This also sees
 * Workers started before this module loaded.
 */
function namedWorkerThreads(): number {
  let count = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      if (name === 'WorkerThread') count++;
    }
  } catch {
    // no /proc (or a thread gone meanwhile): the channel's count stands
  }
  return count;
}

/** Why fork() will not run here; `code` says which rule. */
export interface ForkUnsafeReason {
  code:
    | 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM'
    | 'ERR_FORK_IN_WORKER'
    | 'ERR_FORK_SAFE_MODE_MISSING'
    | 'ERR_FORK_WORKERS_RUNNING';
  message: string;
}

/** What {@link forkSafety} reports. */
export interface ForkSafety {
  /** True when fork() will run here now (it may still wait for, or refuse, threads busy at that moment). */
  safe: boolean;
  /** Every rule that stops it, in the order fork() checks them; empty when `safe`. */
  reasons: ForkUnsafeReason[];
}

function platformReason(): ForkUnsafeReason | undefined {
  if (process.platform === 'linux') return undefined;
  return {
    code: 'ERR_FORKEXEC_UNSUPPORTED_PLATFORM',
    message: `fork() is Linux-only here (this is ${process.platform}): use the spawn start method.`,
  };
}

function threadReasons(): ForkUnsafeReason[] {
  const reasons: ForkUnsafeReason[] = [];
  if (!isMainThread) {
    reasons.push({
      code: 'ERR_FORK_IN_WORKER',
      message:
        'fork() refused: it was called in a Worker thread; the child would have only this thread of a ' +
        'process whose main thread is gone. Call fork() from the main thread.',
    });
  }
  const missing = missingSafeModeFlags();
  if (missing.length > 0) {
    reasons.push({
      code: 'ERR_FORK_SAFE_MODE_MISSING',
      message:
        `fork() refused: node runs without ${missing.join(' ')}, so V8 uses background threads, ` +
        `which do not exist in a forked child and can deadlock it. ${safeModeHint()}`,
    });
  }
  const workers = Math.max(liveWorkers.size, namedWorkerThreads());
  if (workers > 0) {
    reasons.push({
      code: 'ERR_FORK_WORKERS_RUNNING',
      message:
        `fork() refused: ${workers} Worker thread(s) are running; a forked child would have their ` +
        'memory but not their threads. Terminate them first (`await worker.terminate()`).',
    });
  }
  return reasons;
}

/**
 * Whether fork() (and the fork start method) will run in this process, and
 * if not, why: for a library that wants to fork when it is safe and do
 * something else otherwise. Cheap enough to ask before each fork.
 */
export function forkSafety(): ForkSafety {
  const platform = platformReason();
  const reasons = platform ? [platform] : threadReasons();
  return { safe: reasons.length === 0, reasons };
}

/** Throws `ERR_FORK_UNSAFE` (with the rule's code as `reason`) when a fork of this process could hang or crash in the child. */
export function assertForkSafe(): void {
  const [first] = threadReasons();
  if (first === undefined) return;
  const error = forkexecError('ERR_FORK_UNSAFE', first.message) as CodedError & {
    reason: ForkUnsafeReason['code'];
  };
  error.reason = first.code;
  Error.captureStackTrace(error, assertForkSafe);
  throw error;
}

/** How long a fork waits for the other threads (libuv's pool, Node's platform) to go idle. */
export const THREAD_IDLE_WAIT_MS = 2000;

const STATES: Record<string, string> = { R: 'running', D: 'in a blocking syscall', S: 'waiting' };

function describeThread(thread: BusyThread): string {
  const state = STATES[thread.state] ?? `state ${thread.state}`;
  const where = thread.state === 'S' && thread.wchan ? ` in ${thread.wchan}` : '';
  return `'${thread.name}' (tid ${thread.tid}, ${state}${where})`;
}

/**
 * Waits until no other thread can hold a lock or a job that the child would
 * need (see native/thread_quiescence.cc); throws `ERR_FORK_UNSAFE` naming the
 * threads still busy after {@link THREAD_IDLE_WAIT_MS}.
 */
export function assertThreadsIdle(native: NativeBinding): void {
  const busy = native.waitForIdleThreads(THREAD_IDLE_WAIT_MS);
  if (busy.length === 0) return;
  const error = forkexecError(
    'ERR_FORK_UNSAFE',
    `fork() refused: ${busy.length} thread(s) stayed busy for ${THREAD_IDLE_WAIT_MS} ms: ` +
      `${busy.map(describeThread).join(', ')}. A forked child has only the forking thread; one ` +
      "that was busy (libuv's threadpool with fs, dns, crypto or zlib work, Node's platform " +
      'workers) may hold a lock or a job the child would wait for forever. Fork when that work ' +
      'is done.',
  );
  Error.captureStackTrace(error, assertThreadsIdle);
  throw error;
}

/** `ERR_FORK_UNSAFE` for a libuv threadpool that did not come to rest (see native/pool_barrier.h). */
export function threadpoolBusy(): CodedError {
  return forkexecError(
    'ERR_FORK_UNSAFE',
    `fork() refused: libuv's threadpool stayed busy for ${THREAD_IDLE_WAIT_MS} ms (fs, dns, crypto ` +
      'or zlib work, or UV_THREADPOOL_SIZE changed after the pool started). A fork waits until ' +
      "every pool thread is free, so that the child's pool starts clean. Fork when that work is done.",
  );
}
