/** Process and Pool with the start methods fork, forkserver and spawn. */
export { Process, type ProcessOptions } from './process';
export {
  Pool,
  type PoolOptions,
  type RunOptions,
  type MapOptions,
  type ImapOptions,
  type PoolStats,
  type TaskFunction,
} from './pool';
export { getStartMethods } from './startMethod';
export type { StartMethod } from './startMethodTypes';
export type { Target, ModuleTarget } from './target';
export { forkserver, type ForkserverOptions } from './forkserver';
