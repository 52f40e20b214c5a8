/**
 * Loading a module target in a child, by the cheapest loader that gives
 * the same exports.
 *
 * A CommonJS file is `require()`d: the CommonJS loader is warm in every
 * child (forkexec itself is CommonJS), while a child's first `import()` sets
 * up Node's ESM loader, measured at 13-15 ms of the 19 ms of a forked child
 * that imports a small module. `import()` of a CommonJS file gives its
 * `module.exports` as `default`, which is what this returns too. ES modules
 * (`.mjs`, or `.js` under `"type": "module"`) are imported.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A loaded target module: its namespace, or `{ default: module.exports }` for CommonJS. */
export type ModuleNamespace = Record<string, unknown>;

/** The "type" of the package.json nearest to `file` (what Node goes by for `.js`). */
function packageType(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type;
      } catch {
        return undefined; // Node itself would fail on it: let import() say so
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Whether Node loads `file` as CommonJS. */
export function isCommonJs(file: string): boolean {
  const ext = extname(file);
  if (ext === '.cjs') return true;
  if (ext !== '.js') return false;
  return packageType(file) !== 'module';
}

/** Loads the module at absolute path `file`: require() for CommonJS, import() otherwise. */
export function loadModule(file: string): Promise<ModuleNamespace> {
  if (!isCommonJs(file)) return import(pathToFileURL(file).href) as Promise<ModuleNamespace>;
  return new Promise((resolve) => {
    // A throw at load rejects this promise, with the module's own stack.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    resolve({ default: require(file) as unknown });
  });
}
