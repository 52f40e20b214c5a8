/** Process and Pool with the start methods fork, forkserver and spawn. */
export { Process, type ProcessOptions, type TargetOf } from './process';
export { Pool } from './pool';
export type {
  PoolOptions,
  PoolWorkerExit,
  RunOptions,
  MapOptions,
  ImapOptions,
  PoolStats,
  TaskFunction,
} from './pool/poolTypes';
export { getStartMethods } from './startMethod';
export type { StartMethod } from './startMethodTypes';
export { moduleTarget, type Target, type ModuleTarget, type TypedModuleTarget } from './target';
export { forkserver, type ForkserverOptions } from './forkserver';
