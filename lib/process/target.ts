/**
 * What a child runs: a function (fork start method only: the child has it
 * because it is a copy of the parent), or `{ module, export }` that any
 * child can import.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { forkexecError, invalidArgType, invalidArgValue } from '../errors';

/** A module export to call: an absolute path or package specifier, and an export name (default `'default'`). */
export interface ModuleTarget {
  module: string;
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
  if (typeof module !== 'string' || module.length === 0) {
    throw invalidArgType(
      `${name}.module`,
      'a non-empty string (an absolute path or a package name)',
      module,
    );
  }
  if (exportName !== undefined && typeof exportName !== 'string') {
    throw invalidArgType(`${name}.export`, 'of type string', exportName);
  }
  return value as ModuleTarget;
}

/**
 * Resolves a module target in the parent, so every child loads the same
 * file whatever its working directory, and a missing module fails before
 * any process starts.
 */
export function resolveModuleTarget(target: ModuleTarget): TargetSpec {
  const exportName = target.export ?? 'default';
  if (isAbsolute(target.module)) {
    if (!existsSync(target.module)) {
      throw forkexecError('ERR_MODULE_NOT_FOUND', `Cannot find target module '${target.module}'`);
    }
    return { kind: 'module', path: target.module, export: exportName };
  }
  if (target.module.startsWith('.')) {
    throw invalidArgValue(
      'target.module',
      target.module,
      'must be an absolute path or a package name, not a relative path',
    );
  }
  try {
    const resolved = createRequire(join(process.cwd(), 'index.js')).resolve(target.module);
    return { kind: 'module', path: resolved, export: exportName };
  } catch {
    throw forkexecError(
      'ERR_MODULE_NOT_FOUND',
      `Cannot find target package '${target.module}' from ${process.cwd()}`,
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
