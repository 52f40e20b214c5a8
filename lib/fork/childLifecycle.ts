/**
 * What a forked child needs before it runs any more JavaScript, and how it
 * leaves.
 *
 * - Identity: `process.pid` / `process.ppid` are cached by Node and would stay
 *   the parent's.
 * - Randomness: `Math.random()` would replay the parent's sequence, and
 *   `crypto.randomUUID()` / `crypto.randomInt()` hand out bytes from caches
 *   filled before the fork.
 * - I/O: the child has copies of the parent's sockets, servers and pipes. Left
 *   open, its loop would read from them and steal the parent's data and
 *   connections, so they are closed in the child (the parent's stay open).
 * - Exit: Node's own teardown hangs (NodePlatform::DrainTasks waits for tasks of
 *   threads that do not exist here) or crashes in a forked child, so every way
 *   out (process.exit, an uncaught exception, a drained loop) runs the 'exit'
 *   listeners, flushes stdout/stderr and leaves through `_exit`.
 */
import { writeSync } from 'node:fs';
import { randomInt, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { executionAsyncResource } from 'node:async_hooks';
import type { NativeBinding } from '../native';
import type { NodeInternals } from './nodeInternals';
import { installChildRandom, prepareChildRandom } from './childRandom';

/** Something the parent owns whose copy the child must let go of (a result pipe, an exit watch). */
export type InheritedCleanup = () => void;

// The caches of node:crypto (lib/internal/crypto/random.js in Node 20): 128
// UUIDs of 16 bytes, 1024 randomInt draws of 6 bytes. Drawing this many from
// each empties whatever was left from before the fork and refills it.
const UUID_CACHE_ENTRIES = 128;
const RANDOM_INT_CACHE_ENTRIES = 1024;
// randomInt's widest range: one 6-byte draw per call.
const RANDOM_INT_MAX = 2 ** 48 - 1;

const installed = Symbol.for('forkexec.fork.exitPathInstalled');

interface ProcessInternals {
  reallyExit: (code?: number) => void;
  [installed]?: boolean;
}

const internals = process as unknown as ProcessInternals;

/**
 * What every child needs before any of its JavaScript runs: its own pid,
 * its own randomness, and an exit path that skips Node's teardown. This is
 * all a function-shape child whose fn returns a plain value ever does (its
 * loop never runs again: it leaves as soon as the value is sent).
 */
export function startChildIdentity(native: NativeBinding, node: NodeInternals): void {
  refreshIdentity(native);
  installChildRandom();
  installExitPath(native, node);
}

/**
 * What a child needs before its event loop runs again: nothing of the
 * parent's I/O, watchers or pipes. Handles whose async id is above
 * `boundary` were made in the child and stay open.
 */
export function adoptChildLoop(
  native: NativeBinding,
  node: NodeInternals,
  inherited: readonly InheritedCleanup[],
  boundary: number,
): void {
  for (const cleanup of inherited) cleanup();
  // Exit and readiness watchers copied from the parent (spawned children,
  // pools, the forkserver's control socket) are not this child's to watch.
  native.detachInheritedWatchers();
  closeInheritedIo(node, boundary);
  native.watchDrain(onDrained);
}

let drained = false;

/** True once the child's loop ran out of work (rather than process.exit() being called). */
export function childDrained(): boolean {
  return drained;
}

/** What Node does when the loop drains, without waiting for platform workers that are not here. */
function onDrained(final: boolean): void {
  const exitCode = exitCodeOf(process.exitCode);
  if (!final) {
    process.emit('beforeExit', exitCode);
    return;
  }
  drained = true;
  (process as unknown as { _exiting?: boolean })._exiting = true;
  process.emit('exit', exitCode);
}

/** Where a fatal error of the child goes instead of printing it (set by the function shape). */
let fatalHandler: ((error: unknown) => void) | undefined;

/** Routes the child's uncaught exceptions and unhandled rejections to `handler`. */
export function onChildFatal(handler: (error: unknown) => void): void {
  fatalHandler = handler;
}

function refreshIdentity(native: NativeBinding): void {
  const descriptor = { writable: false, enumerable: true, configurable: true };
  Object.defineProperty(process, 'pid', { ...descriptor, value: native.getpid() });
  Object.defineProperty(process, 'ppid', {
    ...descriptor,
    writable: true,
    value: native.getppid(),
  });
}

interface Closable {
  removeAllListeners?: () => void;
  on?: (event: string, listener: () => void) => void;
  destroy?: () => void;
  close?: () => void;
  unref?: () => void;
}

function ignore(): void {
  // an inherited handle's late events are of no interest in the child
}

/** The async id of a handle's owner (its libuv wrap's), when it has one. */
function asyncIdOf(owner: Closable): number | undefined {
  const wrap = (owner as { _handle?: { getAsyncId?: () => number } | null })._handle;
  return typeof wrap?.getAsyncId === 'function' ? wrap.getAsyncId() : undefined;
}

function closeInheritedIo(node: NodeInternals, boundary: number): void {
  const handles = node.activeHandles();
  for (const handle of handles) {
    if (handle === process.stdout || handle === process.stderr) continue;
    const owner = handle as Closable;
    // Made after the fork, by the child itself (async ids only grow).
    if ((asyncIdOf(owner) ?? 0) > boundary) continue;
    // The parent's listeners must not run in the child for the parent's sockets.
    owner.removeAllListeners?.();
    owner.on?.('error', ignore);
    if (typeof owner.destroy === 'function') owner.destroy();
    else if (typeof owner.close === 'function') owner.close();
    else owner.unref?.();
  }
}

/**
 * Right after a fork: node:crypto's caches of random bytes are the same in
 * both processes, so one of them must move on. Usually the parent does
 * (while the child starts up, on the other core): it draws the rest of each
 * cache, which the child will use, and refills its own from the kernel, so
 * it never hands out what the child draws. A child that waits before it
 * serves does it itself instead, before it hands out anything.
 */
export function moveRandomnessOn(): void {
  for (let i = 0; i < UUID_CACHE_ENTRIES; i++) randomUUID();
  for (let i = 0; i < RANDOM_INT_CACHE_ENTRIES; i++) randomInt(RANDOM_INT_MAX);
}

function flushStdio(node: NodeInternals): void {
  for (const [stream, fd] of [
    [process.stdout, 1],
    [process.stderr, 2],
  ] as const) {
    // On Linux stdio writes to files, pipes and TTYs are synchronous; what can
    // be left is what was queued behind a write in progress.
    for (const { chunk, encoding } of node.queuedChunks(stream)) {
      try {
        if (typeof chunk === 'string') {
          writeSync(fd, chunk, null, encoding === 'buffer' ? 'utf8' : encoding);
        } else {
          writeSync(fd, chunk);
        }
      } catch {
        break; // a closed stdio: nothing more to flush
      }
    }
  }
}

function exitCodeOf(value: unknown): number {
  const code = Number(value ?? 0);
  return Number.isInteger(code) ? code & 0xff : 1;
}

/** Prints what a fatal error of the child looks like, straight to fd 2. */
export function printError(error: unknown): void {
  try {
    writeSync(2, `${typeof error === 'string' ? error : inspect(error)}\n`);
  } catch {
    // stderr closed
  }
}

interface ExitPath {
  emit: (event: string | symbol, ...args: unknown[]) => boolean;
  reallyExit: (code?: number) => never;
  onFatal: (error: unknown) => void;
}

let exitPath: ExitPath | undefined;

/** The child's ways out, made in the parent (see {@link prepareChild}). */
function makeExitPath(native: NativeBinding, node: NodeInternals): ExitPath {
  const leave = (code: number): never => {
    flushStdio(node);
    return native.exit(code);
  };
  // 'exit' is emitted by process.exit() and by Node when the loop is empty;
  // after its listeners, leave instead of tearing Node down.
  const emit = process.emit.bind(process) as ExitPath['emit'];
  const childEmit = (event: string | symbol, ...args: unknown[]): boolean => {
    if (event !== 'exit') return emit(event, ...args);
    let code: number;
    try {
      emit(event, ...args);
      code = exitCodeOf(process.exitCode ?? args[0]);
    } catch (error) {
      printError(error);
      code = 7; // as Node: an exception in an 'exit' listener
    }
    return leave(code);
  };
  // Node's fatal-exception path prints the error only after 'exit' ran (and
  // the child would be gone by then): handle it here unless the program
  // handles uncaught exceptions itself.
  const onFatal = (error: unknown): void => {
    if (process.listenerCount('uncaughtException') > 1) return;
    if (fatalHandler) {
      fatalHandler(error);
      return;
    }
    printError(error);
    process.exitCode = 1;
    process.exit(1);
  };
  return {
    emit: childEmit,
    // process.exit() called again from an 'exit' listener skips the emit.
    reallyExit: (code?: number) => leave(exitCodeOf(process.exitCode ?? code)),
    onFatal,
  };
}

function installExitPath(native: NativeBinding, node: NodeInternals): void {
  if (internals[installed]) return;
  internals[installed] = true;
  exitPath ??= makeExitPath(native, node);
  Object.defineProperty(process, 'emit', {
    value: exitPath.emit,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  internals[node.reallyExitKey] = exitPath.reallyExit;
  process.on('uncaughtException', exitPath.onFatal);
}

/**
 * In the parent, before its first fork: what every child would otherwise
 * make and compile on its own critical path (its ways out, its Math.random,
 * the list of inherited handles). On this kind of machine each page a child
 * writes costs a copy-on-write fault, and first-run code writes many.
 */
export function prepareChild(native: NativeBinding, node: NodeInternals): void {
  exitPath ??= makeExitPath(native, node);
  prepareChildRandom();
  node.activeHandles();
  // Node makes process.stdout/stderr on first use; a child flushes both
  // on its way out and would otherwise build them there (60 faults here).
  node.queuedChunks(process.stdout);
  node.queuedChunks(process.stderr);
}

function ignoreSentinel(): void {
  // the fatal exception raised to empty the async-id stack: handled, nothing to do
}

/**
 * Empties the async-context stack that the abandoned frames' callbacks
 * pushed, as Node does after an uncaught exception was handled. Left as it
 * is, Node aborts with "async hook stack has become corrupted" when the
 * abandoned callback's native scope closes. Only our listener sees the
 * sentinel: the program's own are set aside meanwhile.
 */
function clearAsyncIdStack(native: NativeBinding, node: NodeInternals): void {
  if (node.asyncIdStack === 'asyncWrap') {
    node.clearAsyncIdStackInternal();
    return;
  }
  const events = ['uncaughtException', 'uncaughtExceptionMonitor'] as const;
  const saved = events.map((event) => process.rawListeners(event));
  for (const event of events) process.removeAllListeners(event);
  process.on('uncaughtException', ignoreSentinel);
  try {
    native.raiseHandled(new Error('forkexec: emptying the async-id stack of a forked child'));
  } finally {
    process.removeListener('uncaughtException', ignoreSentinel);
    events.forEach((event, i) => {
      for (const listener of saved[i] ?? []) process.on(event, listener as () => void);
    });
  }
}

/**
 * Before the child abandons the frames it is in (the caller's, up to Node's
 * own callback): their bookkeeping is undone, then JavaScript is terminated
 * up to that callback, so none of their code runs again.
 */
export function leaveCallerStack(native: NativeBinding, node: NodeInternals): void {
  // A timer whose callback is abandoned never gets its bookkeeping done (the
  // finally in Node's listOnTimeout): it would stay counted as a pending
  // timer and the child's own timers would never ref the loop.
  const current = executionAsyncResource() as { constructor?: { name?: string }; unref?: unknown };
  if (current.constructor?.name === 'Timeout' && typeof current.unref === 'function') {
    (current as { unref: () => void }).unref();
  }
  clearAsyncIdStack(native, node);
  node.terminateExecution();
}
