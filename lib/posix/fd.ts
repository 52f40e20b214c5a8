/**
 * File descriptor syscalls. New fds are close-on-exec unless asked
 * otherwise, so they do not leak into children spawned by anyone.
 */
import { binding } from '../native';
import { callNative } from '../errors';
import { validateBoolean, validateFd, validateOptions } from '../validate';

/** Options of {@link pipe}. */
export interface PipeOptions {
  /** Close-on-exec on both ends (default `true`). */
  cloexec?: boolean;
  /** O_NONBLOCK on both ends (default `false`). */
  nonblock?: boolean;
}

/** POSIX `pipe2()`: `[readFd, writeFd]`, close-on-exec by default. */
export function pipe(options?: PipeOptions): [number, number] {
  const native = binding('posix.pipe');
  const opts = validateOptions<PipeOptions>(options, 'options');
  const cloexec = validateBoolean(opts.cloexec ?? true, 'options.cloexec');
  const nonblock = validateBoolean(opts.nonblock ?? false, 'options.nonblock');
  const { O_CLOEXEC, O_NONBLOCK } = native.constants;
  const flags = (cloexec ? O_CLOEXEC : 0) | (nonblock ? O_NONBLOCK : 0);
  return callNative(() => native.pipe(flags));
}

/** Options of {@link dup} and {@link dup2}. */
export interface DupOptions {
  /** Close-on-exec on the new fd (default: `true` for dup, `false` for dup2). */
  cloexec?: boolean;
}

/** POSIX `dup()`: the lowest free fd, close-on-exec by default. */
export function dup(fd: number, options?: DupOptions): number {
  const native = binding('posix.dup');
  validateFd(fd, 'fd');
  const cloexec = validateBoolean(
    validateOptions<DupOptions>(options, 'options').cloexec ?? true,
    'options.cloexec',
  );
  return callNative(() => native.dup(fd, cloexec));
}

/**
 * POSIX `dup2()` (`dup3()` with `cloexec`): makes `newFd` a copy of `oldFd`.
 * Not close-on-exec by default: placing an fd for a child to inherit is what
 * dup2 is for.
 */
export function dup2(oldFd: number, newFd: number, options?: DupOptions): number {
  const native = binding('posix.dup2');
  validateFd(oldFd, 'oldFd');
  validateFd(newFd, 'newFd');
  const cloexec = validateBoolean(
    validateOptions<DupOptions>(options, 'options').cloexec ?? false,
    'options.cloexec',
  );
  return callNative(() => native.dup2(oldFd, newFd, cloexec));
}

/** POSIX `close()`. */
export function close(fd: number): void {
  const native = binding('posix.close');
  validateFd(fd, 'fd');
  callNative(() => {
    native.close(fd);
  });
}

/** Whether `fd` is close-on-exec. */
export function getCloexec(fd: number): boolean {
  const native = binding('posix.getCloexec');
  validateFd(fd, 'fd');
  return callNative(() => native.getCloexec(fd));
}

/** Sets or clears close-on-exec on `fd`. */
export function setCloexec(fd: number, on: boolean): void {
  const native = binding('posix.setCloexec');
  validateFd(fd, 'fd');
  validateBoolean(on, 'on');
  callNative(() => {
    native.setCloexec(fd, on);
  });
}
