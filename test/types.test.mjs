// A consumer project compiles against the package's own types, as a user's
// would: TypeScript 5.9, strict, "module": "nodenext", with the oldest
// @types/node the package supports (its devDependency), from an ES module
// and from a CommonJS module. A wrong call must fail to compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, tempDir } from './helpers.mjs';

const USES = `
  const pid: number = fork();
  const child = fork(() => 42);
  const flags: string[] = safeModeFlags();
  const result = await spawn('/bin/true', [], { timeout: 1000 });
  const code: number | null = result.exitCode;
  const sync = spawnSync('/bin/true');
  const status = posix.waitpid(pid);
  void [child, flags, code, sync, status];
  // @ts-expect-error: the file must be a string, Buffer or URL
  void spawn(42);
`;

test('a strict nodenext consumer compiles against the types (ESM and CommonJS)', () => {
  const { dir, cleanup } = tempDir('forkexec-types-');
  try {
    const modules = join(dir, 'node_modules');
    mkdirSync(join(modules, '@types'), { recursive: true });
    symlinkSync(root, join(modules, 'forkexec'));
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(modules, '@types', 'node'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module' }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          types: ['node'],
        },
        include: ['*.mts', '*.cts'],
      }),
    );
    writeFileSync(
      join(dir, 'esm.mts'),
      `import { fork, posix, safeModeFlags, spawn, spawnSync } from 'forkexec';\n${USES}\nexport {};\n`,
    );
    writeFileSync(
      join(dir, 'cjs.cts'),
      `import forkexec = require('forkexec');\nconst { fork, posix, safeModeFlags, spawn, spawnSync } = forkexec;\nasync function main(): Promise<void> {\n${USES}\n}\nvoid main;\n`,
    );
    // The example consumers of test/types/: each `// @ts-expect-error` line
    // must be an error, or tsc fails with "Unused '@ts-expect-error' directive".
    for (const name of readdirSync(join(root, 'test', 'types'))) {
      copyFileSync(join(root, 'test', 'types', name), join(dir, name));
    }
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const version = spawnSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' });
    assert.match(version.stdout, /Version 5\.9\./);
    const run = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);

    // The check is real: a wrong program fails.
    writeFileSync(
      join(dir, 'wrong.mts'),
      `import { fork } from 'forkexec';\nfork('not a function');\n`,
    );
    const wrong = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stdout, /wrong\.mts/);
  } finally {
    cleanup();
  }
});
