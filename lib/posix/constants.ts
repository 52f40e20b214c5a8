/**
 * The numbers of this platform: wait flags (`WNOHANG`, ...), open flags for
 * file actions (`O_*`), waitid id types, and `signals` (name -> number).
 */
import { constants as osConstants } from 'node:os';
import { binding, isLinux } from '../native';

/** Wait flags, `O_*` flags and `P_*` id types from the C headers, plus `signals`. */
export interface PosixConstants {
  readonly [name: string]: number | Readonly<Record<string, number>>;
  readonly signals: Readonly<Record<string, number>>;
}

function build(): PosixConstants {
  const fromHeaders = isLinux ? binding('posix.constants').constants : {};
  return Object.freeze({ ...fromHeaders, signals: Object.freeze({ ...osConstants.signals }) });
}

/** On win32 only `signals` is there: the rest have no meaning without the POSIX calls. */
export const constants: PosixConstants = build();
