/**
 * Conversion of paths, argv and environments into the NUL-free byte strings
 * the native layer copies into C memory. Strings are UTF-8; Buffers pass byte
 * for byte, so non-UTF-8 arguments reach the child exactly as given.
 */
import { invalidArgType, invalidArgValue } from './errors';
import { validateArray } from './validate';

/** A string or Buffer as the bytes of a C string (no NUL allowed inside). */
export function toCString(value: unknown, name: string): Buffer {
  let bytes: Buffer;
  if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
  else if (Buffer.isBuffer(value)) bytes = value;
  else if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else throw invalidArgType(name, 'of type string or an instance of Buffer', value);
  if (bytes.includes(0)) {
    throw invalidArgValue(name, value, 'must be a string or Buffer without null bytes');
  }
  return bytes;
}

/** A non-empty path. */
export function toPath(value: unknown, name: string): Buffer {
  const bytes = toCString(value, name);
  if (bytes.length === 0) throw invalidArgValue(name, value, 'must be a non-empty path');
  return bytes;
}

/** argv: a non-empty array of strings or Buffers. */
export function toArgv(value: unknown, name: string): Buffer[] {
  const argv = validateArray(value, name);
  if (argv.length === 0) {
    throw invalidArgValue(name, value, 'must not be empty (argv[0] names the program)');
  }
  return argv.map((arg, i) => toCString(arg, `${name}[${i}]`));
}

/** A key=value environment as a list of C strings. */
export type Environment = Record<string, string | Buffer | undefined>;

/**
 * An env object as `KEY=value` C strings. Only own enumerable keys count;
 * keys with `undefined` values are left out, as Node's child_process does.
 */
export function toEnvp(value: unknown, name: string): Buffer[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  const envp: Buffer[] = [];
  for (const key of Object.keys(value)) {
    const entry: unknown = (value as Record<string, unknown>)[key];
    if (entry === undefined) continue;
    if (key === '' || key.includes('=') || key.includes('\0')) {
      throw invalidArgValue(name, key, 'has a key that is empty or contains "=" or a null byte');
    }
    const bytes = toCString(entry, `${name}.${key}`);
    envp.push(Buffer.concat([Buffer.from(`${key}=`, 'utf8'), bytes]));
  }
  return envp;
}

/** The parent's environment, as `toEnvp` makes it. */
export function currentEnvp(): Buffer[] {
  return toEnvp(process.env, 'process.env');
}

/** Bytes as text for messages and error fields (`path`, `spawnargs`). */
export function displayString(value: string | Buffer): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}
