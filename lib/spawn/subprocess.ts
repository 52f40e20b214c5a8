/**
 * The Subprocess: a started child with Node streams for its pipes, 'exit'
 * and 'close' events in the spirit of ChildProcess, and awaitable like
 * execa: it resolves with a {@link SubprocessResult} on exit 0 and rejects
 * with a {@link SubprocessError} otherwise. The outcome is computed whether
 * or not anyone awaits, but a rejection is only created for those who do,
 * so a forgotten failing child never becomes an unhandled rejection.
 *
 * 'exit' and {@link Subprocess.exited} come when the child exits; the result
 * and 'close' come when its stdout and stderr have also reached EOF, that is
 * when every process holding their write ends has closed them. A grandchild
 * the child left in the background (`sh -c 'daemon & exit'`) holds them too:
 * without `timeout` or an AbortSignal the result waits for it. With them, once
 * the deadline (or the abort) has come and the child is gone, the parent takes
 * what the pipes hold at that moment and stops reading; the result then has
 * `timedOut` (or `isCanceled`) set.
 *
 * A pipe of a Subprocess given to another child as stdio (`stdio: [a.stdout]`)
 * becomes that child's: the parent closes its end at once and stops collecting
 * it, so the other child gets every byte, and `a`'s result has `undefined` for it.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { isLinux } from '../native';
import type { ExitWatch } from '../exitWatcher';
import { signalNumber, type Signal } from '../signals';
import type { WaitStatus } from '../posix/wait';
import type { CheckedOptions, Prepared } from './types';
import { SubprocessError, startFailed, succeeded, type SubprocessResult } from './error';
import type { Launched, LaunchMethod } from './launched';
import { launchPosix } from './launchPosix';
import { launchWin32 } from './launchWin32';
import { abortError } from './abort';
import { CollectedOutput } from './output';
import { handOver, ownStream } from './handOver';
import { ForceKill } from './forceKill';
import { prepare, splitArguments } from './prepare';
import type { SpawnOptions } from './options';
import type { ExactOptions, NoOptions, OutputOf } from './outputTypes';
import { pipedOptions } from './pipedOptions';
import { cleanupOnExit, forgetCleanup, type CleanupVictim } from './cleanup';

type Outcome = { result: SubprocessResult } | { error: Error };

/**
 * `Stdout` / `Stderr` are the types of the collected output, worked out by
 * spawn() from `stdio` and `encoding`: `string`, `Buffer` with
 * `encoding: 'buffer'`, `undefined` for a slot that is not a pipe.
 */
export class Subprocess<
  Stdout extends string | Buffer | undefined = string | Buffer | undefined,
  Stderr extends string | Buffer | undefined = Stdout,
>
  extends EventEmitter
  implements PromiseLike<SubprocessResult<Stdout, Stderr>>
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
  #resolveExited!: (s: WaitStatus) => void;
  #rejectExited!: (e: Error) => void;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  #canceled = false;
  #maxBufferExceeded = false;
  #onAbort: (() => void) | undefined;
  #reaped = false;
  #output: CollectedOutput | undefined;
  /** For `a.pipe(...)`: `a`, whose outcome this one's includes. */
  #upstream: Subprocess | undefined;
  readonly #forceKill: ForceKill;
  readonly #victim: CleanupVictim = {
    killForCleanup: () => this.#watch?.kill(this.#options.killSignal),
  };

  /** @internal Use {@link spawn}. */
  constructor(prepared: Prepared & { file: Buffer; argv: Buffer[] }) {
    super();
    this.#options = prepared.options;
    this.#command = prepared.command;
    this.#forceKill = new ForceKill(prepared.options.forceKillAfterDelay, (signal) => {
      this.#watch?.kill(signal);
    });
    this.spawnfile = prepared.fileText;
    this.spawnargs = [prepared.fileText, ...prepared.spawnargs];
    this.#outcome = new Promise<Outcome>((resolve) => {
      this.#settle = resolve;
    });
    this.exited = new Promise<WaitStatus>((resolve, reject) => {
      this.#resolveExited = resolve;
      this.#rejectExited = reject;
    });
    // Nobody has to await `exited`; a failed start must not crash the process.
    this.exited.catch(() => undefined);
    this.#launch(prepared);
  }

  /** Starts the child, takes its pipes and watches it until it is reaped. */
  #launch(prepared: Prepared & { file: Buffer; argv: Buffer[] }): void {
    const options = prepared.options;
    if (options.signal?.aborted) {
      this.#fail(abortError(options.signal), true);
      return;
    }
    const launched = isLinux ? launchPosix(prepared) : launchWin32(prepared);
    if ('error' in launched) {
      this.#fail(launched.error);
      return;
    }
    this.pid = launched.pid;
    this.method = launched.method;
    this.#watch = launched.watch;
    if (options.cleanup) cleanupOnExit(this.#victim);
    // Before the event loop runs again: nothing of theirs has been read.
    handOver(options.streams);
    const output = this.#adoptStdio(launched.stdio);
    this.#startLimits();
    launched.watch.exited.then(
      (status) => this.#onExit(status, launched, output),
      (error: unknown) => {
        // win32 reports a failed start here, a tick after spawn() returned.
        this.#cleanup();
        this.pid = undefined;
        for (const s of this.stdio) s?.destroy();
        this.#fail(error as Error);
      },
    );
  }

  /** The child is reaped: 'exit' now, 'close' and the result once its pipes have closed. */
  async #onExit(status: WaitStatus, launched: Launched, output: CollectedOutput): Promise<void> {
    this.exitCode = status.exitCode;
    this.signalCode = status.signal;
    this.#reaped = true;
    forgetCleanup(this.#victim);
    this.#forceKill.cancel();
    this.#releaseStdin();
    this.#resolveExited(status);
    this.emit('exit', status.exitCode, status.signal);
    // Killed at the deadline (or the abort) and now gone: what it wrote is
    // in the pipes; a grandchild holding them must not keep us waiting.
    if (this.#timedOut || this.#canceled) output.abandon();
    await output.closed;
    this.#cleanup();
    this.emit('close', status.exitCode, status.signal);
    this.#settle({ result: this.#result(status, launched, output) });
  }

  /**
   * Closes the parent's end of stdin once the child is gone. The exit can be
   * seen a moment before the write that failed with EPIPE, in the same turn of
   * the loop: destroying a stream with bytes in flight at once would drop them
   * without a word, so that case waits for the end of the turn.
   */
  #releaseStdin(): void {
    const stdin = this.stdin;
    if (stdin === null || stdin.destroyed) return;
    if (stdin.writableLength === 0) stdin.destroy();
    else setImmediate(() => stdin.destroy());
  }

  /** Takes the parent's ends of the pipes: stdout and stderr are collected, stdin is written. */
  #adoptStdio(stdio: Launched['stdio']): CollectedOutput {
    const options = this.#options;
    this.stdio.push(...stdio);
    this.stdin = (stdio[0] as Writable | null) ?? null;
    this.stdout = (stdio[1] as Readable | null) ?? null;
    this.stderr = (stdio[2] as Readable | null) ?? null;
    const output = new CollectedOutput(stdio, options.maxBuffer, (stream) => {
      this.#maxBufferExceeded = true;
      this.kill(options.killSignal);
      stream.destroy();
    });
    this.#output = output;
    stdio.forEach((stream, slot) => {
      if (stream === null) return;
      // A child that exits without reading its input is not an error, nor
      // is a pipe the child closed early.
      stream.on('error', () => undefined);
      ownStream(stream, () => {
        output.handedOver(slot);
        stream.destroy();
      });
    });
    if (options.input !== undefined && this.stdin) this.stdin.end(options.input);
    return output;
  }

  #result(status: WaitStatus, launched: Launched, output: CollectedOutput): SubprocessResult {
    const encoding = this.#options.encoding;
    return {
      exitCode: status.exitCode,
      signal: status.signal,
      stdout: output.value(1, encoding),
      stderr: output.value(2, encoding),
      durationMs: performance.now() - this.#start,
      pid: launched.pid ?? 0,
      command: this.#command,
      method: launched.method,
      timedOut: this.#timedOut,
      isCanceled: this.#canceled,
      maxBufferExceeded: this.#maxBufferExceeded,
      resourceUsage: status.resourceUsage,
    };
  }

  /** `timeout` and `signal`: kill the child, or once it is gone stop waiting for its pipes. */
  #startLimits(): void {
    const options = this.#options;
    if (options.timeout > 0) {
      this.#timer = setTimeout(() => {
        if (this.#stop()) this.#timedOut = true;
      }, options.timeout);
    }
    const signal = options.signal;
    if (signal) {
      this.#onAbort = () => {
        if (this.#stop()) this.#canceled = true;
      };
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** True when it stopped something: the running child, or the wait for pipes others hold. */
  #stop(): boolean {
    if (!this.#reaped) {
      this.kill(this.#options.killSignal);
      return true;
    }
    return this.#output?.abandon() ?? false;
  }

  /** The child never started (or never will): one SubprocessError for `exited`, the result and 'error'. */
  #fail(cause: Error, isCanceled = false): void {
    const error = startFailed(
      cause,
      { command: this.#command, spawnargs: this.spawnargs.slice(1) },
      this.#start,
      isCanceled,
    );
    this.#rejectExited(error);
    this.#settle({ error });
    process.nextTick(() => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }

  #cleanup(): void {
    forgetCleanup(this.#victim);
    this.#forceKill.cancel();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#onAbort) this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }

  /**
   * Sends `signal` (default 'SIGTERM'). True when it was delivered; false when
   * the child never started or has already exited, reaped or not (a recycled
   * pid is never signalled: the signal goes through the child's pidfd).
   * Unless `forceKillAfterDelay` is `false`, a child still alive that long
   * after the signal gets SIGKILL.
   */
  kill(signal: Signal = 'SIGTERM'): boolean {
    const number = signalNumber(signal, 'signal');
    if (!this.#watch) return false;
    const sent = this.#watch.kill(number);
    if (sent) {
      this.killed = true;
      this.#forceKill.after(number);
    }
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

  /**
   * Starts `file` with this child's stdout as its stdin: a kernel pipe from one
   * child to the other, no Node in the middle (the parent closes its end at once).
   * Call it in the tick this child was started in. Awaiting the returned
   * Subprocess waits for both: it rejects when the new child fails, or when this
   * one failed by anything but SIGPIPE (a writer whose reader stopped early);
   * its result has this child's as `pipedFrom`.
   */
  pipe<const O extends SpawnOptions = NoOptions>(
    file: string | Buffer,
    args?: readonly (string | Buffer)[],
    options?: ExactOptions<O>,
  ): Subprocess<OutputOf<O, 1>, OutputOf<O, 2>>;
  pipe<const O extends SpawnOptions = NoOptions>(
    file: string | Buffer,
    options: ExactOptions<O>,
  ): Subprocess<OutputOf<O, 1>, OutputOf<O, 2>>;
  pipe(
    file: string | Buffer,
    args?: readonly (string | Buffer)[] | SpawnOptions,
    options?: SpawnOptions,
  ): Subprocess {
    const split = splitArguments(args, options);
    const next = new Subprocess(
      prepare(file, split.args, pipedOptions(this.stdout, this.pid, split.options)),
    );
    next.#upstream = this;
    return next;
  }

  then<R1 = SubprocessResult<Stdout, Stderr>, R2 = never>(
    onFulfilled?: ((value: SubprocessResult<Stdout, Stderr>) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const reject = this.#options.reject;
    const timeout = this.#options.timeout;
    const upstream = this.#upstream?.then(
      (result) => result,
      (error: unknown) => error as SubprocessError,
    );
    return this.#outcome
      .then(async (o) => {
        if ('error' in o) throw o.error;
        const result = o.result;
        if (upstream) {
          const from = await upstream;
          if (from instanceof Error && from.signal !== 'SIGPIPE') throw from;
          result.pipedFrom = from;
        }
        if (reject && !succeeded(result)) throw new SubprocessError(result, timeout);
        // spawn()'s types worked out these from the options that made it.
        return result as SubprocessResult<Stdout, Stderr>;
      })
      .then(onFulfilled, onRejected);
  }

  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<SubprocessResult<Stdout, Stderr> | R> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<SubprocessResult<Stdout, Stderr>> {
    return this.then().finally(onFinally);
  }
}
