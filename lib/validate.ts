/**
 * Argument checks shared by every module. Each throws a Node-style
 * TypeError/RangeError before anything reaches the kernel.
 */
import { invalidArgType, invalidArgValue, outOfRange } from './errors';

const INT32_MAX = 2 ** 31 - 1;

/** An integer in [min, max]. */
export function validateInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}

/** A file descriptor: an integer >= 0. */
export function validateFd(value: unknown, name: string): number {
  return validateInteger(value, name, 0, INT32_MAX);
}

/** A process id of one particular process: an integer >= 1. */
export function validatePid(value: unknown, name: string): number {
  return validateInteger(value, name, 1, INT32_MAX);
}

export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** A plain options object, or undefined (read as `{}`). */
export function validateOptions<T extends object>(value: unknown, name: string): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  return value;
}

/** An array (any element type: callers check the elements). */
export function validateArray(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  return value;
}

/** Throws for names that are not own keys of `allowed`, catching typos such as `cdw`. */
export function rejectUnknownKeys(options: object, allowed: readonly string[], name: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw invalidArgValue(
        `${name}.${key}`,
        key,
        `is not a known option (known: ${allowed.join(', ')})`,
      );
    }
  }
}

/** Reads an own property only: inherited (prototype-polluted) keys never count as options. */
export function own<T extends object, K extends keyof T>(object: T, key: K): T[K] | undefined {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}
