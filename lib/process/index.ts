/** Process and Pool with the start methods fork, forkserver and spawn. */
export { Process, type ProcessOptions } from './process';
export { Pool } from './pool';
export type {
  PoolOptions,
  RunOptions,
  MapOptions,
  ImapOptions,
  PoolStats,
  TaskFunction,
} from './pool/poolTypes';
export { getStartMethods } from './startMethod';
export type { StartMethod } from './startMethodTypes';
export type { Target, ModuleTarget } from './target';
export { forkserver, type ForkserverOptions } from './forkserver';
