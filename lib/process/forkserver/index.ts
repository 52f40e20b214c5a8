/**
 * `forkserver`: control over the server behind the `forkserver` start
 * method. It starts by itself on first use; `start({ preload })` starts it
 * early with modules imported before any fork, so every child has them.
 */
import { forkexecError } from '../../errors';
import { resolveModuleTarget } from '../target';
import { serverPid, setPreload, startForkserver, stopForkserver } from './client';

/** Options of `forkserver.start()`. */
export interface ForkserverOptions {
  /** Modules (absolute paths or package names) the server imports before it forks. */
  preload?: string[];
}

export const forkserver = {
  /** Starts the server now. Throws if it runs already (stop() it first to change `preload`). */
  start(options: ForkserverOptions = {}): void {
    if (serverPid() !== undefined) {
      throw forkexecError(
        'ERR_FORKSERVER_RUNNING',
        'The forkserver runs already; await forkserver.stop() first',
      );
    }
    const preload = (options.preload ?? []).map((m) => {
      const spec = resolveModuleTarget({ module: m });
      return spec.kind === 'module' ? spec.path : m;
    });
    setPreload(preload);
    startForkserver();
  },
  /** Stops the server; its children are killed and reaped. */
  stop: stopForkserver,
  /** The server's pid while it runs. */
  get pid(): number | undefined {
    return serverPid();
  },
};
