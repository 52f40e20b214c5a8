/**
 * Cleanup on parent death (execa's `cleanup`, on by default): the children
 * still running when this process exits, or when SIGINT, SIGTERM or SIGHUP
 * would end it, get their `killSignal`.
 *
 * The hooks exist only while such a child runs, so that a process without
 * children keeps Node's own handling of those signals. A signal is never
 * swallowed (as signal-exit does it): when our listener is the only one,
 * the children are signalled, the listener removed and the signal raised
 * again, so the process ends the way it would have without us; when the
 * program listens for it too, the program decides, and if it then exits,
 * the 'exit' hook signals the children.
 *
 * What no hook can see: a SIGKILL of this process, or a crash in native code.
 * Only the kernel can act then: `pdeathsig` (Linux) does, and is opt-in
 * because it makes the start leave posix_spawn for the vfork child path.
 */

import { isMainThread } from 'node:worker_threads';

/** A running child that must not outlive this process. */
export interface CleanupVictim {
  /** Signals the child with its killSignal (synchronously: it may run in 'exit'). */
  killForCleanup(): void;
}

const running = new Set<CleanupVictim>();

/** Signals on which the hooks act; win32 gets the 'exit' hook only. */
function hookedSignals(): NodeJS.Signals[] {
  if (process.platform === 'win32') return [];
  return ['SIGINT', 'SIGTERM', 'SIGHUP'];
}

let signals: NodeJS.Signals[] = [];

function killAll(): void {
  for (const victim of running) victim.killForCleanup();
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else listens: the program handles this signal, not us.
  if (process.listenerCount(signal) > 1) return;
  killAll();
  unhook();
  process.kill(process.pid, signal);
}

function hook(): void {
  process.on('exit', killAll);
  // Signals reach only the main thread; a Worker's 'exit' is the Worker's end.
  signals = isMainThread ? hookedSignals() : [];
  for (const signal of signals) process.on(signal, onSignal);
}

function unhook(): void {
  process.removeListener('exit', killAll);
  for (const signal of signals) process.removeListener(signal, onSignal);
  signals = [];
}

/** `victim` runs: kill it if this process ends first. */
export function cleanupOnExit(victim: CleanupVictim): void {
  if (running.size === 0) hook();
  running.add(victim);
}

/** `victim` is gone (reaped): forget it; the last one out removes the hooks. */
export function forgetCleanup(victim: CleanupVictim): void {
  if (!running.delete(victim)) return;
  if (running.size === 0) unhook();
}
