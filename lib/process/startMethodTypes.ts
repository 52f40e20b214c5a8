/** The start-method interface every start method implements (types only). */
import type { ChildOptions, StartedChild } from './startedChild';

/**
 * How a child that runs JavaScript comes to exist. `'auto'` is `'fork'`
 * where forkSafety() says a fork is safe, else `'spawn'` (decided when the
 * Process or Pool is made; it then reports the method it chose).
 */
export type StartMethod = 'fork' | 'forkserver' | 'spawn' | 'auto';

export interface StartMethodImpl {
  name: StartMethod;
  /** Whether its children can run a function target (they are copies of this process). */
  carriesFunctions: boolean;
  start(options: ChildOptions): StartedChild;
}
