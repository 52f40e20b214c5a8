/**
 * Signal names and numbers. Names are what users write and read
 * (`'SIGTERM'`); numbers are what the kernel takes.
 */
import { constants as osConstants } from 'node:os';
import { invalidArgType, invalidArgValue } from './errors';

const byName = osConstants.signals as Record<string, number>;
const byNumber = new Map<number, string>();
for (const [name, number] of Object.entries(byName)) {
  // SIGIOT and SIGPOLL are aliases: keep the first, canonical name.
  if (!byNumber.has(number)) byNumber.set(number, name);
}

/** A signal name such as `'SIGTERM'`, or its number. */
export type Signal = NodeJS.Signals | number;

/** Real-time signals on Linux/glibc: SIGRTMIN is 34 for applications, SIGRTMAX 64. */
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/**
 * Every signal number, 32 and 33 (glibc's own) included: as `setsigdef` of
 * posix.posixSpawn it gives the child no signal ignored, as a shell would.
 */
export const EVERY_SIGNAL: readonly number[] = Array.from({ length: SIGRTMAX }, (_, i) => i + 1);

/** The number of a signal given by name or number (0 allowed: it probes only). */
export function signalNumber(value: unknown, name: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > SIGRTMAX) {
      throw invalidArgValue(name, value, `must be a signal number from 0 to ${SIGRTMAX}`);
    }
    return value;
  }
  if (typeof value !== 'string') throw invalidArgType(name, 'a signal name or number', value);
  const number = byName[value];
  if (number === undefined) throw invalidArgValue(name, value, 'must be a known signal name');
  return number;
}

/** The canonical name of a signal number (`9` -> `'SIGKILL'`, `36` -> `'SIGRTMIN+2'`). */
export function signalName(number: number): string {
  const known = byNumber.get(number);
  if (known) return known;
  if (number >= SIGRTMIN && number <= SIGRTMAX) return `SIGRTMIN+${number - SIGRTMIN}`;
  return `SIG${number}`;
}
