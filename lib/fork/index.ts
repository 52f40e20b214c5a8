/**
 * fork() for JavaScript: a copy-on-write fork of this Node process whose
 * child goes on running JavaScript.
 *
 * - `fork()`: the POSIX shape, 0 in the child and the child's pid in the parent.
 * - `fork(fn)`: the child runs `fn` and leaves; the parent gets a
 *   {@link ForkedChild} to await.
 *
 * The recipe: refuse unless V8 is single-threaded (safety.ts); before hooks;
 * re-mark the V8 heap forkable, fork, put it back, uv_loop_fork in the child
 * (native/js_fork.cc); then in the child a fresh identity, fresh randomness,
 * none of the parent's I/O and an exit path that skips Node's teardown
 * (childLifecycle.ts); after hooks.
 */
import {
  AsyncLocalStorage,
  AsyncResource,
  createHook,
  executionAsyncResource,
  type AsyncHook,
} from 'node:async_hooks';
import { binding, type NativeBinding } from '../native';
import { callNative, invalidArgType, unsupportedPlatform } from '../errors';
import { watchExit, type ExitWatch } from '../exitWatcher';
import type { ChildResourceUsage, WaitStatus } from '../posix/wait';
import { signalNumber, type Signal } from '../signals';
import { assertForkSafe, assertThreadsIdle, threadpoolBusy, THREAD_IDLE_WAIT_MS } from './safety';
import { nodeInternals, type NodeInternals } from './nodeInternals';
import { runAfterHooks, runBeforeHooks } from './atFork';
import {
  adoptChildLoop,
  childDrained,
  leaveCallerStack,
  onChildFatal,
  moveRandomnessOn,
  printError,
  prepareChild,
  startChildIdentity,
  type InheritedCleanup,
} from './childLifecycle';
import { childError, failed, outcomeFrame, type ChildOutcome } from '../channel/resultCodec';
import { readResult, sendResult, type ReadResult, type ResultReader } from './resultChannel';

const WIN32_HINT =
  'A process cannot be copied there: use the spawn start method, which starts a fresh process ' +
  'that imports your module.';

/** What awaiting a {@link ForkedChild} gives. */
export interface ForkResult<T> {
  pid: number;
  /** The child's exit code, or null when a signal killed it. */
  exitCode: number | null;
  /** The name of the signal that killed the child, or null. */
  signal: string | null;
  /** What fn returned (resolved), or undefined when the child left before sending it. */
  value: T | undefined;
  /** The child's own CPU time, peak memory and faults, from the wait that reaped it (see {@link ChildResourceUsage}). */
  resourceUsage: ChildResourceUsage | undefined;
}

/** A child started by `fork(fn)`. Await it for its {@link ForkResult}. */
export interface ForkedChild<T> extends PromiseLike<ForkResult<T>> {
  readonly pid: number;
  /** Settles when the child has exited and been reaped. */
  readonly exited: Promise<WaitStatus>;
  /** True until the child has been reaped. */
  readonly running: boolean;
  /** Signals the child (default SIGTERM); false when it has already exited. */
  kill(signal?: Signal): boolean;
  /** Keeps the event loop alive until the child has exited (the default). */
  ref(): void;
  /** Lets the event loop end while the child runs. */
  unref(): void;
}

// Children of this process still running; their exit watches and result
// pipes are copied into every later child, which must let go of them.
const running = new Set<Child<unknown>>();

// In a function-shape child: the pipe its result goes to, and the async
// context fn runs in. Code outside that context is the parent's, copied:
// callbacks it had scheduled before the fork can still run here.
let ownResultFd: number | undefined;
let fnContext: { storage: AsyncLocalStorage<symbol>; token: symbol } | undefined;

// Made in the parent before its first fork(fn), so that a child only uses
// them (see prepareChild): the storage fn runs in, the hook that silences
// the parent's callbacks.
let fnStorage: AsyncLocalStorage<symbol> | undefined;
let parentCallbacks: { hook: AsyncHook; boundary: number } | undefined;

/** What a function-shape child uses, made in the parent once. */
interface FunctionChildKit {
  storage: AsyncLocalStorage<symbol>;
  callbacks: { hook: AsyncHook; boundary: number };
}

function prepareFunctionChild(): FunctionChildKit {
  if (fnStorage === undefined) {
    fnStorage = new AsyncLocalStorage<symbol>();
    // Compiles run() here; disable() keeps Node 20/22 from tracking this
    // process's promises for a storage only children use.
    fnStorage.run(Symbol('warm-up'), () => fnStorage?.getStore());
    fnStorage.disable();
    // The child's way of sending its outcome, compiled here.
    outcomeFrame(
      { ok: true, value: 0 },
      (checked) => checked,
      (reason) => new Error(reason),
    );
  }
  if (parentCallbacks === undefined) {
    parentCallbacks = { hook: createHook({ before: silenceParentCallback }), boundary: 0 };
    // Compiles enable() here; no callback runs between the two.
    parentCallbacks.hook.enable().disable();
  }
  return { storage: fnStorage, callbacks: parentCallbacks };
}

function nativeBinding(): NativeBinding {
  if (process.platform === 'win32') throw unsupportedPlatform('fork()', WIN32_HINT);
  return binding('fork()', WIN32_HINT);
}

/** What forkProcess gives: the pid, and in the child what it must let go of before its loop runs again. */
interface Forked {
  pid: number;
  inherited: InheritedCleanup[];
  /** Every async resource of the parent has an id up to this one; the child's own get higher ones. */
  boundary: number;
}

/** The fork both shapes share; `moveRandomness` is the side that moves node:crypto's caches on. */
function forkProcess(
  native: NativeBinding,
  node: NodeInternals,
  moveRandomness: 'parent' | 'child' = 'parent',
): Forked {
  runBeforeHooks();
  prepareChild(native, node);
  const boundary = new AsyncResource('forkexec.forkBoundary').asyncId();
  let pid: number;
  try {
    assertThreadsIdle(native);
    const forked = callNative(() => native.jsFork(THREAD_IDLE_WAIT_MS));
    if ('poolBusy' in forked) throw threadpoolBusy();
    pid = forked.pid;
  } catch (error) {
    runAfterHooks('afterInParent');
    throw error;
  }
  if (pid === 0) {
    const inherited = inheritedCleanups(native);
    startChildIdentity(native, node);
    runAfterHooks('afterInChild');
    return { pid, inherited, boundary };
  }
  if (moveRandomness === 'parent') moveRandomnessOn();
  runAfterHooks('afterInParent');
  return { pid, inherited: [], boundary };
}

/** In a child: the copies of the parent's children and result pipe it must let go of. */
function inheritedCleanups(native: NativeBinding): InheritedCleanup[] {
  const inherited: InheritedCleanup[] = [];
  for (const child of running) {
    inherited.push(() => {
      child.abandon();
    });
  }
  running.clear();
  // A grandchild must not hold the result pipe of the child it came from:
  // the parent reads that pipe to EOF.
  if (ownResultFd !== undefined) {
    const fd = ownResultFd;
    ownResultFd = undefined;
    inherited.push(() => {
      native.close(fd);
    });
  }
  return inherited;
}

/**
 * Forks this process.
 *
 * Without an argument, the POSIX shape: returns 0 in the child and the
 * child's pid in the parent; the child continues after `fork()` and ends when
 * it calls `process.exit()`, throws an uncaught exception or runs out of work.
 * Its exit is the caller's to watch (e.g. `posix.waitpid(pid)`).
 *
 * With `fn`, the child runs `fn` (sync or async) and exits: 0 with the value
 * sent to the parent (v8.serialize), or 1 with the error printed to its
 * stderr and sent to the parent, which rejects with it.
 *
 * Throws `ERR_FORK_UNSAFE` unless node runs with {@link safeModeFlags} and no
 * Worker thread is alive.
 */
export function fork(): number;
export function fork<T>(fn: () => T): ForkedChild<Awaited<T>>;
export function fork(fn?: unknown): number | ForkedChild<unknown> {
  if (fn !== undefined && typeof fn !== 'function') {
    throw invalidArgType('fn', 'of type function', fn);
  }
  const { native, node } = enterFork();
  if (fn !== undefined) return forkFunction(native, node, fn as () => unknown);
  const { pid, inherited, boundary } = forkProcess(native, node);
  if (pid === 0) adoptChildLoop(native, node, inherited, boundary);
  return pid;
}

/** What every fork begins with: the binding, Node's internals, and the checks that it may fork here. */
function enterFork(): { native: NativeBinding; node: NodeInternals } {
  const native = nativeBinding();
  const node = nodeInternals();
  if (fnContext !== undefined && fnContext.storage.getStore() !== fnContext.token) {
    // A callback of the parent, copied into a function-shape child, that
    // forks: were it to go on, the child would do the parent's work (a pool
    // refilling itself would fork on and on). It is cut off here.
    cutOff(native, node);
  }
  assertForkSafe();
  return { native, node };
}

/**
 * fork(fn) for a child that waits before it serves (the forkserver's
 * pre-forked children): the child, not the parent, moves node:crypto's
 * caches on, before fn, so that the parent's fork is that much shorter and
 * the child pays while it waits anyway.
 */
export function forkMovingRandomnessInChild<T>(fn: () => T): ForkedChild<Awaited<T>> {
  const { native, node } = enterFork();
  const inChild = (): T => {
    moveRandomnessOn();
    return fn();
  };
  return forkFunction(native, node, inChild, 'child') as ForkedChild<Awaited<T>>;
}

function forkFunction(
  native: NativeBinding,
  node: NodeInternals,
  fn: () => unknown,
  moveRandomness: 'parent' | 'child' = 'parent',
): ForkedChild<unknown> {
  const kit = prepareFunctionChild();
  const [readFd, writeFd] = callNative(() => native.pipe(native.constants.O_CLOEXEC ?? 0));
  let forked: Forked;
  try {
    forked = forkProcess(native, node, moveRandomness);
  } catch (error) {
    native.close(readFd);
    native.close(writeFd);
    throw error;
  }
  if (forked.pid === 0) {
    native.close(readFd);
    return runInChild(native, node, fn, writeFd, forked, kit);
  }
  native.close(writeFd);
  const child = new Child<unknown>(forked.pid, readFd);
  running.add(child);
  return child;
}

/**
 * The function shape's child. It must not return into the frames that called
 * fork(fn) (the caller's next line is the parent's business), so it leaves
 * them the way a terminated Worker does: no catch or finally of theirs runs,
 * and microtasks they queued are dropped. fn then runs from a clean stack on
 * the child's own loop, and the child leaves when fn settles.
 *
 * fn cannot run any earlier, on the caller's stack: a plain function may
 * return a promise whose next step is a microtask, and leaving the caller's
 * frames drops every queued microtask, fn's with the parent's.
 */
function runInChild(
  native: NativeBinding,
  node: NodeInternals,
  fn: () => unknown,
  fd: number,
  { inherited, boundary }: Forked,
  kit: FunctionChildKit,
): never {
  let finished = false;
  const finish = (outcome: ChildOutcome): void => {
    if (finished) return;
    finished = true;
    reportAndLeave(native, fd, outcome);
  };
  ownResultFd = fd;
  native.dropParentCompletions();
  adoptChildLoop(native, node, inherited, boundary);
  silenceParentCallbacks(kit.callbacks, boundary);
  // A token of its own: a grandchild must tell its fn from this one.
  const context = { storage: kit.storage, token: Symbol('fork(fn)') };
  fnContext = context;
  setImmediate(() => {
    context.storage.run(context.token, () => {
      runFn(native, fn, finish);
    });
  });
  leaveCallerStack(native, node);
  return spinUntilTornDown();
}

/** Runs fn and hands finish its outcome: the value, what it threw, or why it never settled. */
function runFn(native: NativeBinding, fn: () => unknown, finish: (o: ChildOutcome) => void): void {
  // The loop ran out of work with fn still pending: say so rather than
  // leave with Node's code for an unsettled top-level await.
  const self = native.getpid();
  process.on('exit', () => {
    // A child that fn forks has this listener too, and nothing to report.
    // process.exit() in fn leaves with its code and no value.
    if (native.getpid() !== self || !childDrained()) return;
    finish(
      failed(new Error('fn returned a promise that never settled: the child ran out of work')),
    );
  });
  // An uncaught exception or unhandled rejection in fn's work is fn's failure.
  onChildFatal((error) => {
    finish(failed(error));
  });
  let returned: unknown;
  try {
    returned = fn();
  } catch (error) {
    finish(failed(error));
    return;
  }
  if (!isThenable(returned)) {
    finish({ ok: true, value: returned });
    return;
  }
  returned.then(
    (value) => {
      finish({ ok: true, value });
    },
    (error: unknown) => {
      finish(failed(error));
    },
  );
}

/** Prints a failure to the child's stderr, sends the outcome, and leaves: 0, or 1 on failure. */
function reportAndLeave(native: NativeBinding, fd: number, outcome: ChildOutcome): void {
  let code = 0;
  if (!outcome.ok) {
    printError(outcome.error.stack ?? `${outcome.error.name}: ${outcome.error.message}`);
    code = 1;
  }
  if (!sendResult(fd, outcome, native.getpid())) {
    printError('fork(fn): the value returned by fn cannot be sent with v8.serialize');
    code = 1;
  }
  try {
    native.close(fd);
  } catch {
    // already closed: nothing more to tell the parent anyway
  }
  process.exitCode = code;
  // What process.exit() does, minus its detour through Node's main-module
  // machinery, which a child would compile from scratch: the 'exit'
  // listeners, then (childLifecycle's emit) flush and _exit.
  const exiting = process as unknown as { _exiting?: boolean };
  if (exiting._exiting !== true) {
    exiting._exiting = true;
    process.emit('exit', code);
  }
  process.exit(code);
}

interface PendingCallback {
  _onTimeout?: unknown;
  _repeat?: unknown;
  _onImmediate?: unknown;
  callback?: unknown;
  oncomplete?: unknown;
  ondone?: unknown;
}

function nothing(): void {
  // what a callback of the parent does in a function-shape child
}

/**
 * The timers, immediates, nextTicks and threadpool completions the parent had
 * scheduled are copies in the child: they would run the parent's work there
 * (an interval would keep ticking, a retry would retry, a read would go on). Each is emptied just before it would run
 * (every async resource made before the fork has a smaller async id).
 */
function silenceParentCallbacks(callbacks: FunctionChildKit['callbacks'], boundary: number): void {
  callbacks.boundary = boundary;
  callbacks.hook.enable();
}

function silenceParentCallback(asyncId: number): void {
  if (asyncId > (parentCallbacks?.boundary ?? 0)) return;
  const pending = executionAsyncResource() as PendingCallback;
  if (typeof pending._onTimeout === 'function') {
    pending._onTimeout = nothing;
    pending._repeat = null;
  } else if (typeof pending._onImmediate === 'function') {
    pending._onImmediate = nothing;
  } else if (typeof pending.callback === 'function') {
    pending.callback = nothing;
  } else if (typeof pending.oncomplete === 'function') {
    // the parent's fs and dns requests that had completed at the fork
    pending.oncomplete = nothing;
  } else if (typeof pending.ondone === 'function') {
    // the parent's crypto jobs likewise
    pending.ondone = nothing;
  }
}

/** Ends the current callback's JavaScript, none of its catch or finally blocks included. */
function cutOff(native: NativeBinding, node: NodeInternals): never {
  leaveCallerStack(native, node);
  return spinUntilTornDown();
}

function spinUntilTornDown(): never {
  // Termination takes effect at V8's next interrupt check: this loop's back
  // edge, before any of the caller's code.
  for (;;) {
    // spin until the stack is torn down
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * `promise`, settled from a Node immediate instead of from the native exit
 * watcher's callback. Code that continues after `await child` may call
 * fork(fn) again, and that child tears down the stack it forked on (see
 * runInChild): that stack must hold only Node's own frames, which expect it,
 * not an addon's C++ callback, which turns the teardown into a C++ exception
 * and aborts. In a later child, where the watch is a copy that cannot reap
 * its sibling, nothing is settled at all.
 */
function fromNodeCallback<T>(promise: Promise<T>, abandoned: () => boolean): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    promise.then(
      (value) => {
        if (!abandoned()) setImmediate(resolve, value);
      },
      (error: unknown) => {
        if (!abandoned()) setImmediate(reject, error);
      },
    );
  });
}

function ignore(): void {
  // handled where it matters: awaiting the child
}

class Child<T> implements ForkedChild<T> {
  readonly pid: number;
  readonly exited: Promise<WaitStatus>;
  private readonly watch: ExitWatch;
  private readonly reader: ResultReader;
  private readonly result: Promise<ForkResult<T>>;
  private abandoned = false;

  constructor(pid: number, readFd: number) {
    this.pid = pid;
    this.watch = watchExit(pid);
    this.exited = fromNodeCallback(this.watch.exited, () => this.abandoned);
    const { reader, result } = readResult(readFd);
    this.reader = reader;
    const forget = () => running.delete(this);
    this.exited.then(forget, forget);
    // Both settle from Node immediates (see fromNodeCallback): the reader
    // calls back from an addon, as the exit watch does.
    const read = fromNodeCallback(result, () => this.abandoned);
    this.result = Promise.all([read, this.exited]).then(([outcome, status]) =>
      settle<T>(pid, outcome, status),
    );
    // Nobody has to await a child: it is reaped anyway, and a rejection
    // nobody asked for is not an unhandled one.
    this.result.catch(ignore);
  }

  get running(): boolean {
    return this.watch.running;
  }

  then<R1 = ForkResult<T>, R2 = never>(
    onFulfilled?: ((value: ForkResult<T>) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.result.then(onFulfilled, onRejected);
  }

  kill(signal: Signal = 'SIGTERM'): boolean {
    return this.watch.kill(signalNumber(signal, 'signal'));
  }

  ref(): void {
    this.watch.ref();
    this.reader.ref();
  }

  unref(): void {
    this.watch.unref();
    this.reader.unref();
  }

  /** In a child of this process: let go of the copies of this child's watch and pipe. */
  abandon(): void {
    this.abandoned = true;
    this.watch.unref();
    this.reader.abandon();
  }
}

function settle<T>(pid: number, read: ReadResult, status: WaitStatus): ForkResult<T> {
  if (read instanceof Error) throw read;
  if (read?.ok === false) throw childError(read.error, pid);
  return {
    pid,
    exitCode: status.exitCode,
    signal: status.signal,
    value: read?.ok === true ? (read.value as T) : undefined,
    resourceUsage: status.resourceUsage,
  };
}

export { atFork, type AtForkHooks } from './atFork';
export { safeModeFlags, forkSafety, type ForkSafety, type ForkUnsafeReason } from './safety';
