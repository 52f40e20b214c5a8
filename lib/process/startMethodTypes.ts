/** The start-method interface every start method implements (types only). */
import type { ChildOptions, StartedChild } from './startedChild';

/** How a child that runs JavaScript comes to exist. */
export type StartMethod = 'fork' | 'forkserver' | 'spawn';

export interface StartMethodImpl {
  name: StartMethod;
  /** Whether its children can run a function target (they are copies of this process). */
  carriesFunctions: boolean;
  start(options: ChildOptions): StartedChild;
}
