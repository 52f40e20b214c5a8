/**
 * `forkserver`: control over the server behind the `forkserver` start
 * method. It starts by itself on first use; `start({ preload, prefork })`
 * starts it early with modules imported before any fork, so every child has
 * them, and with how many children it keeps forked ahead of requests.
 */
import { forkexecError } from '../../errors';
import { validateArray, validateInteger, validateOptions } from '../../validate';
import { resolveModuleTarget } from '../target';
import {
  DEFAULT_PREFORK,
  serverPid,
  setServerOptions,
  startForkserver,
  stopForkserver,
} from './client';

/** The most children a server may keep forked ahead of requests. */
const MAX_PREFORK = 64;

/** Options of `forkserver.start()`. */
export interface ForkserverOptions {
  /** Modules (absolute paths or package names) the server imports before it forks. */
  preload?: string[];
  /**
   * How many children the server keeps forked ahead of requests (default 2,
   * at most 64; 0 forks one per request). Each waits with its memory
   * pre-faulted, a copy of the server's (about 12 MB each), so a request
   * costs a message instead of a fork; the server forks a replacement after
   * it has answered.
   */
  prefork?: number;
}

export const forkserver = {
  /** Starts the server now. Throws if it runs already (stop() it first to change the options). */
  start(options: ForkserverOptions = {}): void {
    const opts = validateOptions<ForkserverOptions>(options, 'options');
    const prefork =
      opts.prefork === undefined
        ? DEFAULT_PREFORK
        : validateInteger(opts.prefork, 'options.prefork', 0, MAX_PREFORK);
    const modules =
      opts.preload === undefined ? [] : validateArray(opts.preload, 'options.preload');
    if (serverPid() !== undefined) {
      throw forkexecError(
        'ERR_FORKSERVER_RUNNING',
        'The forkserver runs already; await forkserver.stop() first',
      );
    }
    const preload = modules.map((m) => {
      const spec = resolveModuleTarget({ module: m as string });
      return spec.kind === 'module' ? spec.path : (m as string);
    });
    setServerOptions({ preload, prefork });
    startForkserver();
  },
  /** Stops the server; its children are killed and reaped. */
  stop: stopForkserver,
  /** The server's pid while it runs. */
  get pid(): number | undefined {
    return serverPid();
  },
};
