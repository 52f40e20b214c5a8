/**
 * The fd plan: which parent fd each child fd becomes. `stdio` names child
 * fds 0, 1, 2, ...; `fds` adds more. 'pipe' makes a real pipe(2) (not a
 * socketpair: programs that open /dev/stdout or splice need a pipe), whose
 * child end is handed over and whose parent end stays here, close-on-exec.
 * Every parent fd named must be open now: EBADF is reported before spawning.
 */
import { binding } from '../native';
import { systemError, type SystemError } from '../errors';
import type { CheckedOptions } from './types';

const EBADF = 9;

/** The plan for the native layer, and the parent's ends of the pipes. */
export interface FdPlan {
  /** Flat [target, source, ...] sorted by target; source -1 is /dev/null. */
  fds: number[];
  /** Child ends of pipes: closed in the parent right after the start. */
  closeInParent: number[];
  /** Per stdio slot, the parent's end of its pipe (else undefined). Slot 0 is written, the others read. */
  parentEnds: (number | undefined)[];
}

function isOpen(fd: number): boolean {
  try {
    binding('spawn').getCloexec(fd);
    return true;
  } catch {
    return false;
  }
}

/** Closes fds made for a plan that will not be used. */
export function discardFdPlan(plan: FdPlan): void {
  const native = binding('spawn');
  for (const fd of [...plan.closeInParent, ...plan.parentEnds]) {
    if (fd !== undefined) native.close(fd);
  }
}

/** Builds the plan; a parent fd that is not open gives EBADF (and no pipe is left open). */
export function makeFdPlan(options: CheckedOptions): FdPlan | { error: SystemError } {
  const native = binding('spawn');
  const entries: { target: number; source: number }[] = [];
  // Named parent fds first: nothing is created before they are known good.
  for (let target = 0; target < options.stdio.length; target++) {
    const slot = options.stdio[target];
    if (typeof slot === 'object') {
      if (!isOpen(slot.fd)) {
        return {
          error: systemError(EBADF, 'fcntl', {
            message: `options.stdio[${target}]: fd ${slot.fd} is not open`,
          }),
        };
      }
      entries.push({ target, source: slot.fd });
    } else if (slot === 'inherit') {
      // A parent slot that is closed stays closed in the child, as in Node.
      if (isOpen(target)) entries.push({ target, source: target });
    } else if (slot === 'ignore') {
      entries.push({ target, source: -1 });
    }
  }
  for (const { target, source } of options.fds) {
    if (!isOpen(source)) {
      return {
        error: systemError(EBADF, 'fcntl', {
          message: `options.fds.${target}: fd ${source} is not open`,
        }),
      };
    }
    entries.push({ target, source });
  }

  const plan: FdPlan = { fds: [], closeInParent: [], parentEnds: [] };
  const cloexec = native.constants.O_CLOEXEC;
  try {
    for (let target = 0; target < options.stdio.length; target++) {
      if (options.stdio[target] !== 'pipe') {
        plan.parentEnds.push(undefined);
        continue;
      }
      const [readEnd, writeEnd] = native.pipe(cloexec);
      const childReads = target === 0;
      plan.parentEnds.push(childReads ? writeEnd : readEnd);
      plan.closeInParent.push(childReads ? readEnd : writeEnd);
      entries.push({ target, source: childReads ? readEnd : writeEnd });
    }
  } catch (error) {
    discardFdPlan(plan);
    const { errno, syscall } = error as { errno: number; syscall: string };
    return { error: systemError(errno, syscall) };
  }
  entries.sort((a, b) => a.target - b.target);
  for (const { target, source } of entries) plan.fds.push(target, source);
  return plan;
}
