/**
 * The Subprocess: a started child with Node streams for its pipes, 'exit'
 * and 'close' events in the spirit of ChildProcess, and awaitable like
 * execa: it resolves with a {@link SubprocessResult} on exit 0 and rejects
 * with a {@link SubprocessError} otherwise. The outcome is computed whether
 * or not anyone awaits, but a rejection is only created for those who do,
 * so a forgotten failing child never becomes an unhandled rejection.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { hasNative } from '../native';
import type { ExitWatch } from '../exitWatcher';
import { signalNumber, type Signal } from '../signals';
import type { WaitStatus } from '../posix/wait';
import type { CheckedOptions } from './options';
import { SubprocessError, succeeded, type SubprocessResult } from './error';
import type { Prepared } from './prepare';
import type { LaunchMethod } from './launched';
import { launchPosix } from './launchPosix';
import { launchWin32 } from './launchWin32';
import { abortError } from './abort';

type Outcome = { result: SubprocessResult } | { error: Error };

/** Collects one output stream up to maxBuffer. */
class Collector {
  chunks: Buffer[] = [];
  bytes = 0;
  exceeded = false;

  constructor(
    stream: Readable,
    private readonly max: number,
    onExceeded: () => void,
  ) {
    stream.on('data', (chunk: Buffer) => {
      if (this.exceeded) return;
      const room = this.max - this.bytes;
      if (chunk.length > room) {
        if (room > 0) this.chunks.push(chunk.subarray(0, room));
        this.bytes = this.max;
        this.exceeded = true;
        onExceeded();
        return;
      }
      this.chunks.push(chunk);
      this.bytes += chunk.length;
    });
  }

  value(encoding: BufferEncoding | 'buffer'): string | Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    return encoding === 'buffer' ? all : all.toString(encoding);
  }
}

/**
 * `T` is the type of the collected output: `string`, or `Buffer` with
 * `encoding: 'buffer'`.
 */
export class Subprocess<T extends string | Buffer = string | Buffer>
  extends EventEmitter
  implements PromiseLike<SubprocessResult<T>>
{
  /** The child's pid; undefined when it could not be started. */
  pid: number | undefined;
  /** How the child was started (`'CreateProcess'` on win32, `'child_process'` on other systems without the addon); undefined when it could not be. */
  method: LaunchMethod | undefined;
  /** The parent's end of each stdio pipe (slot 0 writable, the others readable), else null. */
  readonly stdio: (Readable | Writable | null)[] = [];
  stdin: Writable | null = null;
  stdout: Readable | null = null;
  stderr: Readable | null = null;
  /** Set once the child has been reaped. */
  exitCode: number | null = null;
  signalCode: string | null = null;
  /** True once kill() delivered a signal. */
  killed = false;
  readonly spawnfile: string;
  readonly spawnargs: string[];
  /** Settles when the child has exited and been reaped (rejects only when it never started). */
  readonly exited: Promise<WaitStatus>;

  readonly #options: CheckedOptions;
  readonly #command: string;
  readonly #start = performance.now();
  #watch: ExitWatch | undefined;
  #outcome!: Promise<Outcome>;
  #settle!: (o: Outcome) => void;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  #canceled = false;
  #maxBufferExceeded = false;
  #onAbort: (() => void) | undefined;

  /** @internal Use {@link spawn}. */
  constructor(prepared: Prepared & { file: Buffer; argv: Buffer[] }) {
    super();
    this.#options = prepared.options;
    this.#command = prepared.command;
    this.spawnfile = prepared.fileText;
    this.spawnargs = [prepared.fileText, ...prepared.spawnargs];
    this.#outcome = new Promise<Outcome>((resolve) => {
      this.#settle = resolve;
    });
    let exitedResolve!: (s: WaitStatus) => void;
    let exitedReject!: (e: Error) => void;
    this.exited = new Promise<WaitStatus>((resolve, reject) => {
      exitedResolve = resolve;
      exitedReject = reject;
    });
    // Nobody has to await `exited`; a failed start must not crash the process.
    this.exited.catch(() => undefined);

    const options = prepared.options;
    if (options.signal?.aborted) {
      this.#fail(abortError(options.signal), exitedReject);
      return;
    }
    const launched = hasNative ? launchPosix(prepared) : launchWin32(prepared);
    if ('error' in launched) {
      this.#fail(launched.error, exitedReject);
      return;
    }
    this.pid = launched.pid;
    this.method = launched.method;
    this.#watch = launched.watch;

    const collectors: (Collector | undefined)[] = [];
    const closing: Promise<void>[] = [];
    launched.stdio.forEach((stream, slot) => {
      this.stdio.push(stream);
      if (stream === null) return;
      // A child that exits without reading its input is not an error, nor
      // is a pipe the child closed early.
      stream.on('error', () => undefined);
      // 'close' waits for stdout and stderr (collected, so they flow); stdin
      // is destroyed at exit; extra pipes (slot 3 and up) are the caller's to read.
      if (slot !== 1 && slot !== 2) return;
      closing.push(
        new Promise((resolve) =>
          stream.once('close', () => {
            resolve();
          }),
        ),
      );
      collectors[slot] = new Collector(stream as Readable, options.maxBuffer, () => {
        this.#maxBufferExceeded = true;
        this.kill(options.killSignal);
        stream.destroy();
      });
    });
    this.stdin = (this.stdio[0] as Writable | null) ?? null;
    this.stdout = (this.stdio[1] as Readable | null) ?? null;
    this.stderr = (this.stdio[2] as Readable | null) ?? null;
    if (options.input !== undefined && this.stdin) this.stdin.end(options.input);

    if (options.timeout > 0) {
      this.#timer = setTimeout(() => {
        this.#timedOut = true;
        this.kill(options.killSignal);
      }, options.timeout);
    }
    const signal = options.signal;
    if (signal) {
      this.#onAbort = () => {
        this.#canceled = true;
        this.kill(options.killSignal);
      };
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }

    const pid = launched.pid ?? 0;
    const method = launched.method;
    launched.watch.exited.then(
      async (status) => {
        this.exitCode = status.exitCode;
        this.signalCode = status.signal;
        this.#cleanup();
        this.stdin?.destroy();
        exitedResolve(status);
        this.emit('exit', status.exitCode, status.signal);
        await Promise.all(closing);
        const result: SubprocessResult = {
          exitCode: status.exitCode,
          signal: status.signal,
          stdout: collectors[1]?.value(options.encoding),
          stderr: collectors[2]?.value(options.encoding),
          durationMs: performance.now() - this.#start,
          pid,
          command: this.#command,
          method,
          timedOut: this.#timedOut,
          isCanceled: this.#canceled,
          maxBufferExceeded: this.#maxBufferExceeded,
        };
        this.emit('close', status.exitCode, status.signal);
        this.#settle({ result });
      },
      (error: unknown) => {
        // win32 reports a failed start here, a tick after spawn() returned.
        this.#cleanup();
        this.pid = undefined;
        for (const s of this.stdio) s?.destroy();
        this.#fail(error as Error, exitedReject);
      },
    );
  }

  #fail(error: Error, rejectExited: (e: Error) => void): void {
    rejectExited(error);
    this.#settle({ error });
    process.nextTick(() => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }

  #cleanup(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#onAbort) this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }

  /**
   * Sends `signal` (default 'SIGTERM'). True when it was delivered; false when
   * the child never started or has already exited, reaped or not (a recycled
   * pid is never signalled: the signal goes through the child's pidfd).
   */
  kill(signal: Signal = 'SIGTERM'): boolean {
    const number = signalNumber(signal, 'signal');
    if (!this.#watch) return false;
    const sent = this.#watch.kill(number);
    if (sent) this.killed = true;
    return sent;
  }

  /** Keeps the event loop alive until the child exits (the default). */
  ref(): void {
    this.#watch?.ref();
    this.#timer?.ref();
    for (const s of this.stdio) (s as Socket | null)?.ref();
  }

  /** Lets the event loop end while the child still runs. */
  unref(): void {
    this.#watch?.unref();
    this.#timer?.unref();
    for (const s of this.stdio) (s as Socket | null)?.unref();
  }

  then<R1 = SubprocessResult<T>, R2 = never>(
    onFulfilled?: ((value: SubprocessResult<T>) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const reject = this.#options.reject;
    const timeout = this.#options.timeout;
    return this.#outcome
      .then((o) => {
        if ('error' in o) throw o.error;
        if (reject && !succeeded(o.result)) throw new SubprocessError(o.result, timeout);
        return o.result as SubprocessResult<T>;
      })
      .then(onFulfilled, onRejected);
  }

  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<SubprocessResult<T> | R> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<SubprocessResult<T>> {
    return this.then().finally(onFinally);
  }
}
