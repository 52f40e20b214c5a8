import type { SystemError } from '../errors';

/** The error of a spawn whose AbortSignal fired, as Node's child_process makes it. */
export function abortError(signal: AbortSignal): SystemError {
  const error = new Error('The operation was aborted', { cause: signal.reason }) as SystemError;
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  return error;
}
