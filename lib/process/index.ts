/** Process and Pool with the start methods fork, forkserver and spawn. */
export { Process, type ProcessOptions } from './process';
export { Pool, type PoolOptions } from './pool';
export { getStartMethods, type StartMethod } from './startMethod';
export type { Target, ModuleTarget } from './target';
export { forkserver, type ForkserverOptions } from './forkserver';
