/**
 * Everything fork() needs from inside Node, in one place.
 *
 * A forked child is a copy of a Node process that Node never planned for, so
 * a few of its steps reach past Node's public API. Each step below names what
 * it uses: a public API where one exists, otherwise an internal that is looked
 * up when fork() runs (never when the package loads). When the running Node
 * lacks a way for a step, fork() throws `ERR_FORK_UNSUPPORTED_NODE` naming the
 * Node version and the missing piece, before anything is forked: never a
 * crash, a hang or a half-working child.
 *
 * | step | how | kind |
 * | --- | --- | --- |
 * | cut the caller's stack off | `node:inspector` Session, `Runtime.terminateExecution` | public |
 * | clear the async-id stack | a handled fatal exception (`napi_fatal_exception`), after which Node empties the stack; `process.binding('async_wrap').clearAsyncIdStack` when an uncaught-exception capture callback would swallow that | public / internal (Node <= 22) |
 * | list inherited handles | `process._getActiveHandles()` | internal |
 * | silence the parent's callbacks | `async_hooks.createHook` + `executionAsyncResource()`; the callback slots `_onTimeout`, `_onImmediate`, `callback` of Node's timer, immediate and tick objects | public + internal |
 * | run 'exit' listeners and leave | `process.emit` (public) and `process.reallyExit` (internal), then `_exit` | public + internal |
 * | flush stdio | `stream._writableState.buffered` | internal |
 * | refresh pid and random state | `Object.defineProperty(process, 'pid')`, `Math.random`, node:crypto's caches drained through `randomUUID` / `randomInt` | public |
 *
 * To support a new Node line: run the suite on it; if a step fails, add its
 * new way here, detected like the others.
 */
import { createHook, executionAsyncResource } from 'node:async_hooks';
import type { Session } from 'node:inspector';
import { forkexecError, type CodedError } from '../errors';

/** The Node majors fork() has been tested on; others are refused. */
export const TESTED_NODE_MAJORS = [20, 21, 22, 23, 24, 25, 26] as const;

/** Set to `1` to let fork() run on a Node major it was not tested on. */
export const UNTESTED_NODE_OVERRIDE = 'FORKEXEC_FORK_UNTESTED_NODE';

/** The pieces of Node that fork() looks up (what `ERR_FORK_UNSUPPORTED_NODE` names). */
export interface NodeInternals {
  /** Ends the running JavaScript up to its outermost native caller; no catch or finally runs. */
  terminateExecution(): void;
  /** The parent's handles (servers, sockets, pipes, timers' handles) copied into the child. */
  activeHandles(): unknown[];
  /** Node's exit syscall wrapper that `process.exit()` ends in. */
  readonly reallyExitKey: 'reallyExit';
  /** The chunks queued behind a write in progress on a stdio stream. */
  queuedChunks(stream: NodeJS.WriteStream): BufferedChunk[];
  /** How the async-id stack is emptied: 'fatalException' (public) or 'asyncWrap' (internal). */
  readonly asyncIdStack: 'fatalException' | 'asyncWrap';
  /** Empties the async-id stack the internal way (`asyncIdStack === 'asyncWrap'` only). */
  clearAsyncIdStackInternal(): void;
}

export interface BufferedChunk {
  chunk: string | Uint8Array;
  encoding?: BufferEncoding | 'buffer';
}

interface ProcessInternals {
  _getActiveHandles?: () => unknown[];
  reallyExit?: (code?: number) => void;
  binding?: (name: string) => unknown;
  hasUncaughtExceptionCaptureCallback?: () => boolean;
}

interface WritableInternals {
  _writableState?: { buffered?: BufferedChunk[] };
}

let session: Session | undefined;

function unsupported(piece: string): CodedError {
  return forkexecError(
    'ERR_FORK_UNSUPPORTED_NODE',
    `fork() cannot run on Node ${process.version}: it lacks ${piece}. The rest of forkexec ` +
      'works; for JavaScript in a fresh process use the spawn start method.',
  );
}

function checkLine(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if ((TESTED_NODE_MAJORS as readonly number[]).includes(major)) return;
  if (process.env[UNTESTED_NODE_OVERRIDE] === '1') return;
  throw forkexecError(
    'ERR_FORK_UNSUPPORTED_NODE',
    `fork() is not known to work on Node ${process.version}: it depends on how Node works inside ` +
      `and was tested on Node ${TESTED_NODE_MAJORS[0]}-${TESTED_NODE_MAJORS.at(-1)}. Set ` +
      `${UNTESTED_NODE_OVERRIDE}=1 to try it anyway. The rest of forkexec works.`,
  );
}

/** `Runtime.terminateExecution` through an in-process inspector session, connected once. */
function inspectorTermination(): () => void {
  let inspector: typeof import('node:inspector') | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    inspector = require('node:inspector') as typeof import('node:inspector');
  } catch {
    inspector = undefined;
  }
  if (typeof inspector?.Session !== 'function') {
    throw unsupported('node:inspector (Runtime.terminateExecution), built without the inspector');
  }
  // Connected here, in the parent, once: every child inherits a session
  // ready to post to, instead of building and connecting one on its own
  // critical path (several ms of first-run code and copy-on-write faults).
  // A connected session with no domain enabled costs the parent nothing.
  session ??= new inspector.Session();
  try {
    session.connect();
  } catch {
    // connected already: a child of a child reuses its parent's session
  }
  const connected = session;
  // Compiles post() here: a child's first use of it is on its critical path.
  connected.post('Runtime.getIsolateId', ignoreReply);
  return () => {
    connected.post('Runtime.terminateExecution');
  };
}

function ignoreReply(): void {
  // the warm-up's answer is of no interest
}

function asyncWrapClear(): (() => void) | undefined {
  const proc = process as unknown as ProcessInternals;
  if (typeof proc.binding !== 'function') return undefined;
  const quiet = process.noDeprecation;
  process.noDeprecation = true; // process.binding warns (DEP0111)
  try {
    const asyncWrap = proc.binding('async_wrap') as { clearAsyncIdStack?: () => void };
    const clear = asyncWrap.clearAsyncIdStack;
    if (typeof clear !== 'function') return undefined;
    return () => {
      clear.call(asyncWrap);
    };
  } catch {
    return undefined; // Node 24 and later: "No such module"
  } finally {
    process.noDeprecation = quiet;
  }
}

function callbackSlotsKnown(): boolean {
  const timeout = setTimeout(() => undefined, 0);
  const immediate = setImmediate(() => undefined);
  const known =
    typeof (timeout as unknown as { _onTimeout?: unknown })._onTimeout === 'function' &&
    typeof (immediate as unknown as { _onImmediate?: unknown })._onImmediate === 'function';
  clearTimeout(timeout);
  clearImmediate(immediate);
  return known && typeof createHook === 'function' && typeof executionAsyncResource === 'function';
}

type StackWay = Pick<NodeInternals, 'asyncIdStack' | 'clearAsyncIdStackInternal'>;

function lookUpFixed(): Omit<NodeInternals, keyof StackWay> {
  checkLine();
  const proc = process as unknown as ProcessInternals;
  const terminateExecution = inspectorTermination();
  const getActiveHandles = proc._getActiveHandles;
  if (typeof getActiveHandles !== 'function') unsupportedPiece('process._getActiveHandles()');
  if (typeof proc.reallyExit !== 'function') unsupportedPiece('process.reallyExit()');
  if (!callbackSlotsKnown()) {
    unsupportedPiece('the callback slots of its timers and immediates (_onTimeout, _onImmediate)');
  }
  const stdoutState = (process.stdout as unknown as WritableInternals)._writableState;
  if (!Array.isArray(stdoutState?.buffered)) unsupportedPiece('stream._writableState.buffered');
  return {
    terminateExecution,
    activeHandles: () => getActiveHandles.call(process),
    reallyExitKey: 'reallyExit',
    queuedChunks: (stream) =>
      (stream as unknown as WritableInternals)._writableState?.buffered ?? [],
  };
}

/**
 * A capture callback (domains, setUncaughtExceptionCaptureCallback) would
 * receive the fatal exception meant to empty the stack: then only the
 * internal way will do. Decided at each fork, since the program may set one
 * at any time.
 */
function stackWay(): StackWay {
  const proc = process as unknown as ProcessInternals;
  if (proc.hasUncaughtExceptionCaptureCallback?.() !== true) {
    return { asyncIdStack: 'fatalException', clearAsyncIdStackInternal: () => undefined };
  }
  const internalClear = asyncWrapClear();
  if (internalClear === undefined) {
    unsupportedPiece(
      'a way to empty the async-id stack while an uncaught-exception capture callback is set ' +
        '(process.setUncaughtExceptionCaptureCallback or domains)',
    );
  }
  return { asyncIdStack: 'asyncWrap', clearAsyncIdStackInternal: internalClear };
}

function unsupportedPiece(piece: string): never {
  throw unsupported(piece);
}

let fixed: Omit<NodeInternals, keyof StackWay> | undefined;

/**
 * The internals of the running Node, looked up when fork() runs. Throws
 * `ERR_FORK_UNSUPPORTED_NODE` when a piece is missing.
 */
export function nodeInternals(): NodeInternals {
  fixed ??= lookUpFixed();
  return { ...fixed, ...stackWay() };
}
