/**
 * The specs of the targets a pool is given: one spec object per target, so
 * a worker's outbox knows a target by identity, and the validation and path
 * work done once per target object, not once per task.
 */
import type { StartMethodImpl } from '../startMethodTypes';
import {
  resolveModuleTarget,
  validateTarget,
  closureRefused,
  type ModuleTarget,
  type Target,
  type TargetSpec,
} from '../target';
import { registerPoolFunction } from './freshFunctionWarning';

/** A target object seen before, and what it named then (a module target may be changed in place). */
interface KnownTarget {
  spec: TargetSpec;
  module: unknown;
  export: unknown;
}

export class TargetSpecCache {
  private readonly resolved = new Map<string, TargetSpec>();
  /** One spec object per target, so a worker's outbox knows it by identity. */
  private readonly functionSpecs = new Map<number, TargetSpec>();
  private readonly targetSpecs = new WeakMap<object, KnownTarget>();

  /** `impl` says whether function targets can reach the workers. */
  constructor(private readonly impl: StartMethodImpl) {}

  /** The spec of a target given by the user (validated the first time that object is seen). */
  spec(target: unknown, name?: string): TargetSpec {
    // The same target object again (the common case): no validation, no path work.
    const known =
      typeof target === 'object' || typeof target === 'function'
        ? this.targetSpecs.get(target as object)
        : undefined;
    if (
      known &&
      known.module === (target as Partial<ModuleTarget>).module &&
      known.export === (target as Partial<ModuleTarget>).export
    ) {
      return known.spec;
    }
    const valid = validateTarget(target, name);
    const spec = this.newSpec(valid);
    const { module, export: exportName } = valid as Partial<ModuleTarget>;
    this.targetSpecs.set(valid, { spec, module, export: exportName });
    return spec;
  }

  private newSpec(target: Target): TargetSpec {
    if (typeof target !== 'function') {
      // Resolving looks at the file system: once per module and export, not once per task.
      const key = `${String(target.module)}\0${target.export ?? 'default'}`;
      let spec = this.resolved.get(key);
      if (!spec) {
        spec = resolveModuleTarget(target);
        this.resolved.set(key, spec);
      }
      return spec;
    }
    if (!this.impl.carriesFunctions) throw closureRefused(this.impl.name);
    const id = registerPoolFunction(target);
    let spec = this.functionSpecs.get(id);
    if (!spec) {
      spec = { kind: 'function', id };
      this.functionSpecs.set(id, spec);
    }
    return spec;
  }
}
