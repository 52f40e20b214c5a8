/**
 * At-fork hooks, like Python's `os.register_at_fork`: `before` hooks run in
 * reverse registration order just before the fork, `afterInParent` and
 * `afterInChild` hooks in registration order just after it.
 */
import { invalidArgType } from '../errors';
import { validateOptions } from '../validate';

/** The hooks one `atFork()` call registers; each is optional. */
export interface AtForkHooks {
  /** Runs in the parent before the fork. A throw aborts the fork (fork() throws it). */
  before?: () => void;
  /** Runs in the parent after the fork. A throw is reported as a warning. */
  afterInParent?: () => void;
  /** Runs in the child after the fork, before any other code of the child. A throw is reported as a warning. */
  afterInChild?: () => void;
}

type Hook = () => void;
type Phase = 'before' | 'afterInParent' | 'afterInChild';

const registered: AtForkHooks[] = [];

/** Registers at-fork hooks. Returns a function that unregisters them. */
export function atFork(hooks: AtForkHooks): () => void {
  const options = validateOptions<AtForkHooks>(hooks, 'hooks');
  const entry: AtForkHooks = {};
  for (const phase of ['before', 'afterInParent', 'afterInChild'] as const) {
    const hook: unknown = Object.prototype.hasOwnProperty.call(options, phase)
      ? options[phase]
      : undefined;
    if (hook === undefined) continue;
    if (typeof hook !== 'function')
      throw invalidArgType(`hooks.${phase}`, 'of type function', hook);
    entry[phase] = hook as Hook;
  }
  registered.push(entry);
  return () => {
    const at = registered.indexOf(entry);
    if (at >= 0) registered.splice(at, 1);
  };
}

function hooksOf(phase: Phase): Hook[] {
  const hooks: Hook[] = [];
  for (const entry of registered) {
    const hook = entry[phase];
    if (hook) hooks.push(hook);
  }
  return hooks;
}

/** Runs the `before` hooks, last registered first. A throw propagates. */
export function runBeforeHooks(): void {
  for (const hook of hooksOf('before').reverse()) hook();
}

/** Runs the after hooks of one side in registration order; a throw becomes a warning. */
export function runAfterHooks(phase: 'afterInParent' | 'afterInChild'): void {
  for (const hook of hooksOf(phase)) {
    try {
      hook();
    } catch (error) {
      process.emitWarning(
        `an atFork ${phase} hook threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        { code: 'FORKEXEC_AT_FORK_HOOK' },
      );
    }
  }
}
