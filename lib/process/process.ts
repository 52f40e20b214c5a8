/**
 * `Process`: one child that runs one target, like Python's
 * multiprocessing.Process, started by the start method of your choice.
 */
import { invalidArgType, forkexecError } from '../errors';
import { signalNumber, type Signal } from '../signals';
import { validateOptions } from '../validate';
import { childError } from '../channel/resultCodec';
import { encodeCompactTaskFrame, encodeFrame } from '../channel/framedChannel';
import { diedError } from './childDiedError';
import { defaultStartMethod, startMethodImpl } from './startMethod';
import type { StartMethod } from './startMethodTypes';
import type { ChildExit, StartedChild } from './startedChild';
import type { ChildResourceUsage } from '../exitWatch/resourceUsage';
import { checkSerializable, targetSpec } from './taskInput';
import { validateTarget, type TypedModuleTarget } from './target';
import type { ResultMessage, TaskMessage } from './taskRunner';

const SIGKILL = 9;

/** A target that takes `A` and gives `T` (or a promise of it): a function, or a typed or plain module target. */
export type TargetOf<A extends readonly unknown[], T> =
  ((...args: A) => T | PromiseLike<T>) | TypedModuleTarget<(...args: A) => T | PromiseLike<T>>;

/**
 * Options of {@link Process}. `A` and `T` are inferred from a function
 * target (or a {@link moduleTarget}): `args` must fit its parameters and
 * `join()` gives what it returns, awaited.
 */
export interface ProcessOptions<A extends readonly unknown[] = unknown[], T = unknown> {
  /** What the child runs: a function (`fork` only) or `{ module, export }`. */
  target: TargetOf<A, T>;
  /** Arguments for the target; they cross the boundary with v8.serialize. */
  args?: A;
  /** How the child starts (default: `'forkserver'` on POSIX, `'spawn'` on win32). */
  startMethod?: StartMethod;
  /** The child's environment (`spawn` only; default `process.env`). */
  env?: Record<string, string | undefined>;
  /** The child's working directory (`spawn` only). */
  cwd?: string;
}

export class Process<T = unknown, A extends readonly unknown[] = unknown[]> {
  readonly startMethod: StartMethod;
  private readonly options: ProcessOptions<A, T>;
  private child: StartedChild | undefined;
  private outcome: Promise<Awaited<T>> | undefined;
  private exit: ChildExit | undefined;

  constructor(options: ProcessOptions<A, T>) {
    const opts = validateOptions<ProcessOptions<A, T>>(options, 'options');
    validateTarget(opts.target, 'options.target');
    if (opts.args !== undefined && !Array.isArray(opts.args)) {
      throw invalidArgType('options.args', 'an instance of Array', opts.args);
    }
    this.startMethod = startMethodImpl(
      opts.startMethod ?? defaultStartMethod(),
      'options.startMethod',
    ).name;
    this.options = opts as ProcessOptions<A, T>;
  }

  /** The child's pid once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The child's exit code once it has exited normally, else null. */
  get exitCode(): number | null {
    return this.exit?.exitCode ?? null;
  }

  /** The name of the signal that ended the child, else null. */
  get signalCode(): string | null {
    return this.exit?.signal ?? null;
  }

  /**
   * The child's own CPU time, peak memory, page faults and context switches
   * once it has exited (with every start method: the forkserver reaps its
   * children and sends their usage along); `undefined` before that, and where
   * child_process started it (win32): see {@link ChildResourceUsage}.
   */
  get resourceUsage(): ChildResourceUsage | undefined {
    return this.exit?.resourceUsage;
  }

  /**
   * Starts the child and writes its task before returning (the child can
   * run it while the caller is still busy). Throws (before any process
   * exists) on a target or arguments it cannot carry.
   */
  start(): this {
    if (this.child)
      throw forkexecError('ERR_FORKEXEC_ALREADY_STARTED', 'This Process was already started');
    const impl = startMethodImpl(this.startMethod);
    const target = targetSpec(this.options.target, impl);
    const args: unknown[] = [...(this.options.args ?? [])];
    checkSerializable(args);
    const task = { type: 'task', id: 1, target, args } satisfies TaskMessage;
    // A module target with primitive arguments travels without v8.serialize,
    // which a fresh spawn child would otherwise have to load to read it.
    const compact =
      target.kind === 'module' ? encodeCompactTaskFrame(1, 0, args, false, target) : undefined;
    const child = impl.start({
      target,
      oneTask: true,
      firstFrame: compact ?? encodeFrame(task),
      ...(this.options.env === undefined ? {} : { env: this.options.env }),
      ...(this.options.cwd === undefined ? {} : { cwd: this.options.cwd }),
    });
    this.child = child;
    this.outcome = this.collect(child);
    // join() may come later: an unobserved failure is not an unhandled rejection.
    this.outcome.catch(() => undefined);
    return this;
  }

  /** Waits for the child's result (and its exit). Rejects with the child's error, or if it died. */
  join(): Promise<Awaited<T>> {
    if (!this.outcome)
      return Promise.reject(
        forkexecError('ERR_FORKEXEC_NOT_STARTED', 'Call start() before join()'),
      );
    return this.outcome;
  }

  /** `start()` then `join()`. */
  run(): Promise<Awaited<T>> {
    return this.start().join();
  }

  /** Signals the child; false when it was not started or is already gone. */
  kill(signal: Signal = 'SIGTERM'): boolean {
    const number = signalNumber(signal, 'signal');
    return this.child?.kill(number) ?? false;
  }

  private async collect(child: StartedChild): Promise<Awaited<T>> {
    const result = await new Promise<ResultMessage | null>((resolve) => {
      child.channel.once('message', (message: ResultMessage) => {
        resolve(message);
      });
      child.channel.once('close', () => {
        resolve(null);
      });
    });
    // A child that wrote foreign bytes, or closed its channel without an
    // answer, cannot answer any more: it is dead to us even if it still runs.
    if (child.channel.failure || result === null) child.kill(SIGKILL);
    child.channel.close();
    this.exit = await child.exited;
    await child.channel.whenClosed;
    if (child.channel.failure) throw child.channel.failure;
    if (result === null) throw diedError(child.pid, this.exit);
    if (!result.ok) throw childError(result.error, child.pid);
    return result.value as Awaited<T>;
  }
}
