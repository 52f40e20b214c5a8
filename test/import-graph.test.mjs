// The import graph of lib/ has no cycles, type-only imports included: a
// cycle means two modules each need the other, and a type-only one shows
// types living in the wrong module (issue #12). Reads the sources; no
// dependency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const lib = resolve(import.meta.dirname, '..', 'lib');

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

// `import x from '...'`, `import type {...} from '...'`, `export {...} from '...'`,
// `import '...'`, `import('...')` and `require('...')`, over several lines too.
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/gm;

function importsOf(file) {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
  const found = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (!specifier.startsWith('.')) continue;
    const base = resolve(dirname(file), specifier);
    const target = [`${base}.ts`, join(base, 'index.ts')].find((path) => existsSync(path));
    assert.ok(target, `${relative(lib, file)} imports '${specifier}', which is no file in lib/`);
    found.push(target);
  }
  return found;
}

function cycles(graph) {
  const found = [];
  const state = new Map(); // 1: on the current path, 2: done
  const path = [];
  const visit = (node) => {
    state.set(node, 1);
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 1) found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 2);
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

test('the import graph of lib/ has no cycles (type-only imports included)', () => {
  const files = sources(lib);
  assert.ok(files.length > 50, `found ${files.length} modules under lib/`);
  const graph = new Map(files.map((file) => [file, importsOf(file)]));
  const edges = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
  assert.ok(edges > files.length, `read ${edges} imports`);
  const found = cycles(graph).map((cycle) => cycle.map((f) => relative(lib, f)).join(' > '));
  assert.deepEqual(found, [], `import cycles in lib/:\n${found.join('\n')}`);
});
