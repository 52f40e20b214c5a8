/**
 * What a child runs: a function (fork start method only: the child has it
 * because it is a copy of the parent), or `{ module, export }` that any
 * child can import.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkexecError, invalidArgType, invalidArgValue } from '../errors';

/**
 * A module export to call: the module (an absolute path, a package specifier,
 * or a `file:` URL, as a URL object or a string: `new URL('./work.mjs', import.meta.url)`)
 * and an export name (default `'default'`).
 */
export interface ModuleTarget {
  module: string | URL;
  export?: string;
}

/** What a Process or Pool task runs. */
export type Target = ((...args: never[]) => unknown) | ModuleTarget;

/**
 * A module target that carries the type of the function it names (types
 * only: nothing of it exists at run time), made by {@link moduleTarget}, so
 * that `args` and the result are checked as for a function target.
 */
export interface TypedModuleTarget<F extends (...args: never[]) => unknown> extends ModuleTarget {
  /** Never set: the function type, for the compiler alone. */
  readonly __function?: F;
}

/**
 * Types a module target by the function it names:
 * `moduleTarget<typeof import('./work.mjs').square>({ module: ..., export: 'square' })`.
 * Returns the same object.
 */
export function moduleTarget<F extends (...args: never[]) => unknown>(
  target: ModuleTarget,
): TypedModuleTarget<F> {
  validateTarget(target, 'target');
  return target;
}

/** A target as it travels to a child: a resolved module path, or the id of a registered function. */
export type TargetSpec =
  { kind: 'module'; path: string; export: string } | { kind: 'function'; id: number };

/** Checks a target's shape (not yet whether its module exists). */
export function validateTarget(value: unknown, name = 'target'): Target {
  if (typeof value === 'function') return value as Target;
  if (value === null || typeof value !== 'object') {
    throw invalidArgType(name, 'a function or an object { module, export }', value);
  }
  const { module, export: exportName } = value as { module?: unknown; export?: unknown };
  if (module instanceof URL) {
    modulePath(module, `${name}.module`);
  } else if (typeof module !== 'string' || module.length === 0) {
    throw invalidArgType(
      `${name}.module`,
      'a non-empty string (an absolute path, a package name or a file: URL) or a URL',
      module,
    );
  } else {
    modulePath(module, `${name}.module`);
  }
  if (exportName !== undefined && typeof exportName !== 'string') {
    throw invalidArgType(`${name}.export`, 'of type string', exportName);
  }
  return value as ModuleTarget;
}

/** A URL scheme at the start of a specifier (`file:`, `https:`, `node:`), not a Windows drive (`C:`). */
const SCHEME = /^([a-zA-Z][a-zA-Z\d+.-]+):/;

/**
 * The module as a path or package specifier: a `file:` URL (object or
 * string) becomes its path; `node:` stays a specifier; any other URL scheme
 * is refused (a child cannot import `https:` or `data:` modules by path).
 */
function modulePath(module: string | URL, name: string): string {
  const href = module instanceof URL ? module.href : module;
  const scheme = SCHEME.exec(href)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'node') return href;
  if (scheme !== 'file') {
    throw invalidArgValue(
      name,
      href,
      `has the URL scheme '${scheme}:'; a target module must be a file: URL, an absolute path or a package name`,
    );
  }
  try {
    return fileURLToPath(href);
  } catch (error) {
    throw invalidArgValue(name, href, `is not a usable file: URL (${(error as Error).message})`);
  }
}

/**
 * Resolves a module target in the parent, so every child loads the same
 * file whatever its working directory, and a missing module fails before
 * any process starts.
 */
export function resolveModuleTarget(target: ModuleTarget): TargetSpec {
  const exportName = target.export ?? 'default';
  const module = modulePath(target.module, 'target.module');
  if (isAbsolute(module)) {
    if (!existsSync(module)) {
      throw forkexecError('ERR_MODULE_NOT_FOUND', `Cannot find target module '${module}'`);
    }
    return { kind: 'module', path: module, export: exportName };
  }
  if (module.startsWith('.')) {
    throw invalidArgValue(
      'target.module',
      module,
      'must be an absolute path, a file: URL or a package name, not a relative path ' +
        "(new URL('./work.mjs', import.meta.url) names a file next to the calling module)",
    );
  }
  try {
    // node:module is loaded here, in the parent, not by every spawn child that loads this file.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createRequire } = require('node:module') as typeof import('node:module');
    const resolved = createRequire(join(process.cwd(), 'index.js')).resolve(module);
    return { kind: 'module', path: resolved, export: exportName };
  } catch {
    throw forkexecError(
      'ERR_MODULE_NOT_FOUND',
      `Cannot find target package '${module}' from ${process.cwd()}`,
    );
  }
}

/**
 * Functions given as targets, by id. A child made by fork() has a copy of
 * this table as it was at the fork: it knows exactly the functions
 * registered before it was born.
 */
const functionIds = new Map<(...args: never[]) => unknown, number>();
const functionsById = new Map<number, (...args: never[]) => unknown>();

export function registerFunction(fn: (...args: never[]) => unknown): number {
  let id = functionIds.get(fn);
  if (id === undefined) {
    id = functionIds.size + 1;
    functionIds.set(fn, id);
    functionsById.set(id, fn);
  }
  return id;
}

/** How many functions are registered: a forked child knows ids up to this. */
export function registeredFunctionCount(): number {
  return functionIds.size;
}

export function registeredFunction(id: number): ((...args: unknown[]) => unknown) | undefined {
  return functionsById.get(id) as ((...args: unknown[]) => unknown) | undefined;
}

/** The error for a closure under a start method that cannot carry one. */
export function closureRefused(startMethod: string): Error {
  return forkexecError(
    'ERR_FORKEXEC_CLOSURE_UNSUPPORTED',
    `The '${startMethod}' start method starts a fresh Node process, which cannot receive a function: ` +
      `closures and the parent's state do not cross a process boundary. Pass { module, export } ` +
      `naming an exported function (an absolute path or package name), or use startMethod 'fork', ` +
      `whose child is a copy of the parent.`,
  );
}
