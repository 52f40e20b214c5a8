/** The error for a child that ended before it answered. */
import { forkexecError } from '../errors';
import type { ChildExit } from './startedChild';

/** ERR_FORKEXEC_CHILD_DIED, carrying how the child ended (`exitCode`, `signal`). */
export function diedError(pid: number, exit: ChildExit): Error {
  const how =
    exit.signal === null
      ? `exited with code ${String(exit.exitCode)}`
      : `was killed by ${exit.signal}`;
  const error = forkexecError(
    'ERR_FORKEXEC_CHILD_DIED',
    `The child process ${pid} ${how} before it returned a result`,
  ) as Error & { exitCode?: number | null; signal?: string | null };
  error.exitCode = exit.exitCode;
  error.signal = exit.signal;
  return error;
}
